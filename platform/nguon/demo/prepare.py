"""Everything the demo needs: today's Hưng Yên with its history, people and logins.

In order, each step skipped when it was done before (a second run creates nothing):

1. Hưng Yên and Thái Bình onboarded as they stood in 2024 (``tenants/hungyen.toml``,
   ``tenants/thaibinh.toml``), people in both, the lists of every period before
   2025-07-01 walked through the old chains, the demo logins on the 2024 units;
2. Thái Bình merged into Hưng Yên on 2025-07-01 with the restructuring file
   (``tenants/hungyen-2025-07-01.toml``): 104 commune committees, no district level;
3. the periods since then walked through the new chains up to the current period of the
   real clock, which is left under way (``nguon.demo.history``); the logins' roles on
   today's units.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from nguon.clock import today_in_vietnam
from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.db.migrate import migrate
from nguon.demo.history import (
    NEW_HUNGYEN,
    OLD_HUNGYEN,
    OLD_THAIBINH,
    HistoryReport,
    TreeScript,
    add_new_tree_history,
    add_old_tree_history,
)
from nguon.demo.people import HUNG_YEN, THAI_BINH, Province, generate_candidates, generate_members
from nguon.demo.users import DemoLogin, create_demo_users
from nguon.org.restructure import load_restructuring
from nguon.org.service import unit_by_code
from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import CandidateList
from nguon.tenancy.context import tenant_context
from nguon.tenancy.merge import MergeReport, merge_tenants
from nguon.tenancy.onboarding import OnboardingReport, onboard_file
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant

DEMO_DATABASE_URL = "sqlite:///nguon-demo.sqlite"
TENANTS = Path(__file__).resolve().parents[3] / "tenants"
DEMO_MANIFEST = TENANTS / "hungyen.toml"
DEMO_RESTRUCTURING = TENANTS / "hungyen-2025-07-01.toml"
DEMO_TENANT = "hungyen"
DEMO_CANDIDATES = 400
"""Hưng Yên's candidates; Thái Bình gets :data:`THAIBINH_CANDIDATES`."""
THAIBINH_CANDIDATES = 250
SECRET_KEY_FILE = Path(".nguon") / "secret_key"


class OldProvince(msgspec.Struct, frozen=True, kw_only=True):
    """A province as it stood in 2024, before the merger."""

    manifest: Path
    people: Province
    focus: tuple[str, ...]
    """Units whose cells get most candidates (the demo logins work there)."""
    history: TreeScript
    seed_offset: int


OLD_PROVINCES = (
    OldProvince(
        manifest=DEMO_MANIFEST,
        people=HUNG_YEN,
        focus=("hy.vanlam.lachong", "hy.ca.pc02", "hy.ca.px01"),
        history=OLD_HUNGYEN,
        seed_offset=0,
    ),
    OldProvince(
        manifest=TENANTS / "thaibinh.toml",
        people=THAI_BINH,
        focus=("tb.thaibinh.lehongphong", "tb.ca.pc08"),
        history=OLD_THAIBINH,
        seed_offset=7,
    ),
)
MERGED = "thaibinh"
"""The tenant merged into :data:`DEMO_TENANT` by the restructuring file's date."""


class DemoInfo(msgspec.Struct, kw_only=True):
    database_url: str
    tenant_slug: str
    tenant_id: int
    candidates: int
    candidates_created: int
    members: int
    lists: int
    lists_created: int
    logins: list[DemoLogin]
    onboarding: list[OnboardingReport]
    """The 2024 provinces onboarded by this run (none once the merger was done)."""
    merge: MergeReport | None
    """The merger made by this run, if any."""
    history: list[HistoryReport]
    secret_key: str
    """Where the secret key came from (never the key itself)."""
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(
            any(report.changed for report in self.onboarding)
            or self.merge is not None
            or self.candidates_created
            or self.lists_created
        )


def _secret_key_source() -> str:
    """Where the demo's key comes from: the environment, or ``./.nguon/secret_key``."""
    if os.environ.get("NGUON_SECRET_KEY", "").strip():
        return "NGUON_SECRET_KEY from the environment"
    existed = SECRET_KEY_FILE.exists()
    demo_secret_key()
    where = SECRET_KEY_FILE.resolve()
    return f"generated {where}" if not existed else f"kept {where}"


def demo_secret_key() -> str:
    """``NGUON_SECRET_KEY``, else the key kept in ``./.nguon/secret_key`` (made on first
    use): the demo is the only command that makes a key for itself."""
    if key := os.environ.get("NGUON_SECRET_KEY", "").strip():
        return key
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    SECRET_KEY_FILE.parent.mkdir(exist_ok=True)
    key = secrets.token_urlsafe(48)
    SECRET_KEY_FILE.write_text(key)
    SECRET_KEY_FILE.chmod(0o600)
    return key


@contextmanager
def _with_demo_key() -> Iterator[str]:
    """The demo's key in this process's environment while the demo is prepared."""
    source = _secret_key_source()
    previous = os.environ.get("NGUON_SECRET_KEY")
    os.environ["NGUON_SECRET_KEY"] = demo_secret_key()
    try:
        yield source
    finally:
        if previous is None:
            del os.environ["NGUON_SECRET_KEY"]
        else:
            os.environ["NGUON_SECRET_KEY"] = previous


async def _tenant(slug: str) -> Tenant | None:
    with tenant_context(None):
        return await Tenant.objects().where(Tenant.slug == slug).first()


async def _count(tenant_id: int, table, *where) -> int:
    with tenant_context(tenant_id):
        return await table.count().where(in_tenant(table), *where)


async def _old_province(
    province: OldProvince, candidates: int, seed: int, merge_day: dt.date, today: dt.date
) -> tuple[OnboardingReport, int, HistoryReport | None]:
    """Onboard one 2024 province and give it people, logins and its pre-merger history."""
    report = await onboard_file(province.manifest)
    tenant_id = report.tenant_id
    created = 0
    if await _count(tenant_id, Candidate) == 0:
        with tenant_context(tenant_id):
            focus = [await unit_by_code(code) for code in province.focus]
        created = await generate_candidates(
            tenant_id,
            candidates,
            seed + province.seed_offset,
            today,
            focus_paths=[unit.path for unit in focus if unit is not None],
            province=province.people,
        )
    if await _count(tenant_id, Member) == 0:
        await generate_members(tenant_id, seed + province.seed_offset, today, province.people)
    if report.slug == DEMO_TENANT:
        await create_demo_users(tenant_id, before_merger=True)
    history = None
    if await _count(tenant_id, CandidateList) == 0:
        history = await add_old_tree_history(tenant_id, province.history, merge_day)
    return report, created, history


async def prepare_demo(
    database_url: str = DEMO_DATABASE_URL,
    *,
    migrate_url: str | None = None,
    candidates: int = DEMO_CANDIDATES,
    seed: int = 2024,
) -> DemoInfo:
    """Build (or finish building) today's Hưng Yên on ``database_url``; see the module.

    Safe to run again: the second run creates nothing and returns the same logins.
    """
    with _with_demo_key() as secret_key:
        return await _prepare_demo(database_url, migrate_url, candidates, seed, secret_key)


async def _prepare_demo(
    database_url: str, migrate_url: str | None, candidates: int, seed: int, secret_key: str
) -> DemoInfo:
    started = time.perf_counter()
    today = today_in_vietnam()
    merge_day = load_restructuring(DEMO_RESTRUCTURING).effective_on
    owner_url = migrate_url or database_url
    await migrate(owner_url)
    onboarding: list[OnboardingReport] = []
    histories: list[HistoryReport] = []
    created = 0
    merge = None
    with using_engine(make_engine(owner_url)):
        merged = await _tenant(MERGED)
        if merged is None or merged.merged_into != DEMO_TENANT:
            for province in OLD_PROVINCES:
                count = candidates if province.manifest == DEMO_MANIFEST else THAIBINH_CANDIDATES
                report, made, history = await _old_province(province, count, seed, merge_day, today)
                onboarding.append(report)
                created += made
                if history is not None:
                    history.tree = f"{report.slug} (2024)"
                    histories.append(history)
            merge = await merge_tenants(
                MERGED, DEMO_TENANT, merge_day, structure=DEMO_RESTRUCTURING
            )
        tenant = await _tenant(DEMO_TENANT)
        assert tenant is not None
        since = CandidateList.period_opens >= merge_day
        if await _count(tenant.id, CandidateList, since) == 0:
            today_history = await add_new_tree_history(tenant.id, NEW_HUNGYEN, merge_day, today)
            today_history.tree = f"{DEMO_TENANT} (from {merge_day.isoformat()})"
            histories.append(today_history)
        logins = await create_demo_users(tenant.id)
        total = await _count(tenant.id, Candidate)
        members = await _count(tenant.id, Member)
        lists = await _count(tenant.id, CandidateList)
    return DemoInfo(
        database_url=database_url,
        tenant_slug=DEMO_TENANT,
        tenant_id=tenant.id,
        candidates=total,
        candidates_created=created,
        members=members,
        lists=lists,
        lists_created=sum(h.lists for h in histories),
        logins=logins,
        onboarding=onboarding,
        merge=merge,
        history=histories,
        secret_key=secret_key,
        seconds=time.perf_counter() - started,
    )
