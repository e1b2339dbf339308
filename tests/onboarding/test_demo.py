"""The demo: a populated province on a SQLite file, logins that work, safe to run twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.accounts.passwords import verify_password
from nguon.accounts.tables import User
from nguon.cli import main
from nguon.crypto import decrypt_national_id
from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.demo.prepare import DemoInfo, prepare_demo
from nguon.org.tables import Membership, OrgUnit
from nguon.people.tables import Candidate, Member
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.text import search_key


@pytest.fixture
def demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NGUON_SECRET_KEY", raising=False)
    monkeypatch.delenv("NGUON_DATABASE_URL", raising=False)
    monkeypatch.delenv("NGUON_MIGRATE_DATABASE_URL", raising=False)
    return tmp_path


async def _snapshot(url: str, tenant_id: int) -> dict:
    with using_engine(make_engine(url)), tenant_context(tenant_id):
        candidates = await Candidate.select().where(in_tenant(Candidate))
        cells = {
            r["id"]: r
            for r in await OrgUnit.select(OrgUnit.id, OrgUnit.kind, OrgUnit.path).where(
                in_tenant(OrgUnit)
            )
        }
        users = await User.select(User.username, User.password_hash).where(in_tenant(User))
        roles = await Membership.select(
            Membership.user.username, Membership.role, Membership.unit.code
        ).where(in_tenant(Membership))
        members = await Member.count().where(in_tenant(Member))
    return {
        "candidates": candidates,
        "cells": cells,
        "users": {u["username"]: u["password_hash"] for u in users},
        "roles": roles,
        "members": members,
    }


def test_prepare_demo_populates_a_province_and_is_idempotent(demo_folder: Path) -> None:
    url = f"sqlite:///{demo_folder / 'demo.sqlite'}"
    info: DemoInfo = asyncio.run(prepare_demo(url))
    assert info.candidates_created == info.candidates >= 300
    assert info.secret_key.startswith("generated ")
    assert (demo_folder / ".nguon" / "secret_key").exists()
    data = asyncio.run(_snapshot(url, info.tenant_id))

    candidates = data["candidates"]
    assert len(candidates) == info.candidates
    today = dt.date.today()
    ages = [(today - c["date_of_birth"]).days // 365 for c in candidates]
    assert sum(18 <= a <= 35 for a in ages) > len(ages) * 0.6
    assert any(a < 18 for a in ages) and any(a > 60 for a in ages)
    assert len({c["education"] for c in candidates}) >= 6
    assert len({c["stage"] for c in candidates}) == 7
    assert any(c["hardship_area"] for c in candidates)
    old = [
        c
        for c in candidates
        if c["certificate_date"] and (today - c["certificate_date"]).days > 1830
    ]
    assert old and any(c["certificate_date"] for c in candidates if c not in old)
    for c in candidates:
        cell = data["cells"][c["unit"]]
        assert cell["kind"] in {"grassroots_cell", "subordinate_cell"}
        assert c["unit_path"] == cell["path"]
        assert c["name_search"] == search_key(c["full_name"])
    with_id = [c for c in candidates if c["national_id_encrypted"]]
    assert with_id and all(c["national_id_hash"] for c in with_id)
    decrypted = decrypt_national_id(with_id[0]["national_id_encrypted"])
    assert len(decrypted) == 12 and decrypted.isdigit() and decrypted.startswith("033")
    assert data["members"] == 30

    for login in info.logins:
        assert verify_password(data["users"][login.username], login.password)
    roles = {(r["user.username"], r["role"], r["unit.code"]) for r in data["roles"]}
    assert {
        ("demo.chibo", "editor", "hy.vanlam.lachong.thon-1"),
        ("demo.coso", "approver", "hy.vanlam.lachong"),
        ("demo.huyen", "approver", "hy.vanlam"),
        ("demo.tinh", "approver", "hy"),
        ("demo.congan", "approver", "hy.ca"),
        ("demo.admin", "tenant_admin", "hy"),
    } <= roles

    again = asyncio.run(prepare_demo(url))
    assert again.candidates_created == 0 and again.candidates == info.candidates
    assert not again.onboarding.changed
    assert again.secret_key.startswith("kept ")
    assert asyncio.run(_snapshot(url, info.tenant_id)) == data


def test_demo_command_without_serving(demo_folder: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Database: sqlite:///nguon-demo.sqlite" in result.output
    assert f"Secret key: generated {demo_folder.resolve() / '.nguon' / 'secret_key'}" in (
        result.output
    )
    assert "demo.chibo   chibo-demo-2024" in result.output
    assert "Open http://127.0.0.1:8123/t/hungyen/" in result.output
    assert (demo_folder / "nguon-demo.sqlite").exists()
