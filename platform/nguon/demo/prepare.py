"""Everything the demo needs: a migrated database, Hưng Yên onboarded, people, logins."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import msgspec

from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.db.migrate import migrate
from nguon.demo.history import add_demo_history
from nguon.demo.people import generate_candidates, generate_members
from nguon.demo.users import DemoLogin, create_demo_users
from nguon.org.service import unit_by_code
from nguon.people.tables import Candidate, Member
from nguon.settings import load_settings
from nguon.tenancy.context import tenant_context
from nguon.tenancy.onboarding import OnboardingReport, onboard_file
from nguon.tenancy.scoped import in_tenant

DEMO_DATABASE_URL = "sqlite:///nguon-demo.sqlite"
DEMO_MANIFEST = Path(__file__).resolve().parents[3] / "tenants" / "hungyen.toml"
DEMO_CANDIDATES = 400
DEMO_MEMBERS = 30
DEMO_FOCUS_UNIT = "hy.vanlam.lachong"
"""The grassroots committee whose cells get most candidates (the demo logins work there)."""
SECRET_KEY_FILE = Path(".nguon") / "secret_key"


class DemoInfo(msgspec.Struct, kw_only=True):
    database_url: str
    tenant_slug: str
    tenant_id: int
    candidates: int
    candidates_created: int
    members: int
    logins: list[DemoLogin]
    onboarding: OnboardingReport
    secret_key: str
    """Where the secret key came from (never the key itself)."""


def _secret_key_source() -> str:
    if os.environ.get("NGUON_SECRET_KEY"):
        return "NGUON_SECRET_KEY from the environment"
    existed = SECRET_KEY_FILE.exists()
    load_settings()
    where = SECRET_KEY_FILE.resolve()
    return f"generated {where}" if not existed else f"kept {where}"


async def prepare_demo(
    database_url: str = DEMO_DATABASE_URL,
    *,
    migrate_url: str | None = None,
    manifest: Path = DEMO_MANIFEST,
    candidates: int = DEMO_CANDIDATES,
    seed: int = 2024,
) -> DemoInfo:
    """Migrate, onboard ``manifest``, seed people if there are none, create demo logins.

    Safe to run again: the second run creates nothing and returns the same logins.
    """
    secret_key = _secret_key_source()
    owner_url = migrate_url or database_url
    await migrate(owner_url)
    with using_engine(make_engine(owner_url)):
        report = await onboard_file(manifest)
        tenant_id = report.tenant_id
        with tenant_context(tenant_id):
            existing = await Candidate.count().where(in_tenant(Candidate))
            members = await Member.count().where(in_tenant(Member))
        created = 0
        if existing == 0:
            with tenant_context(tenant_id):
                focus = await unit_by_code(DEMO_FOCUS_UNIT)
            focus_paths = () if focus is None else (focus.path,)
            created = await generate_candidates(
                tenant_id, candidates, seed, focus_paths=focus_paths
            )
            await add_demo_history(tenant_id, dt.date.today())
        if members == 0:
            members = await generate_members(tenant_id, DEMO_MEMBERS, seed)
        logins = await create_demo_users(tenant_id)
    return DemoInfo(
        database_url=database_url,
        tenant_slug=report.slug,
        tenant_id=tenant_id,
        candidates=existing + created,
        candidates_created=created,
        members=members,
        logins=logins,
        onboarding=report,
        secret_key=secret_key,
    )
