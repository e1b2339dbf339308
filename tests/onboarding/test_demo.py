"""The demo: today's Hưng Yên on a SQLite file — the two 2024 provinces, their history, the
merger of 2025-07-01, the new tree's history up to the current period of the real clock —
logins that work on today's units, safe to run twice.

The demo is built once for the module (it takes about half a minute).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.accounts.passwords import verify_password
from nguon.accounts.tables import User
from nguon.app import create_app
from nguon.cli import main
from nguon.clock import today_in_vietnam
from nguon.crypto import decrypt_national_id
from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.demo.cli import _print_info
from nguon.demo.prepare import DemoInfo, prepare_demo
from nguon.demo.users import DEMO_LOGINS
from nguon.org.tables import Membership, OrgUnit
from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import CandidateList
from nguon.rules.registry import load_package
from nguon.settings import Settings
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from nguon.tenancy.tables import Tenant
from nguon.text import search_key
from tests.http.conftest import AppClient, csrf_token_in

MERGED_ON = dt.date(2025, 7, 1)


class Built:
    def __init__(self, folder: Path, info: DemoInfo, again: DemoInfo, before: dict, after: dict):
        self.folder = folder
        self.url = f"sqlite:///{folder / 'demo.sqlite'}"
        self.info = info
        self.again = again
        self.before = before
        self.after = after


def _clean_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.chdir(folder)
    monkeypatch.delenv("NGUON_SECRET_KEY", raising=False)
    monkeypatch.delenv("NGUON_DATABASE_URL", raising=False)
    monkeypatch.delenv("NGUON_MIGRATE_DATABASE_URL", raising=False)


async def _snapshot(url: str, tenant_id: int) -> dict:
    with using_engine(make_engine(url)), tenant_context(tenant_id):
        candidates = await Candidate.select().where(in_tenant(Candidate))
        units = {r["id"]: r for r in await OrgUnit.select().where(in_tenant(OrgUnit))}
        users = await User.select(User.username, User.password_hash).where(in_tenant(User))
        roles = await Membership.select(
            Membership.user.username, Membership.role, Membership.unit.code
        ).where(in_tenant(Membership))
        members = await Member.select().where(in_tenant(Member))
        lists = await CandidateList.select().where(in_tenant(CandidateList))
        with tenant_context(None):
            tenants = await Tenant.select(Tenant.slug, Tenant.merged_into, Tenant.merged_on)
    return {
        "candidates": candidates,
        "units": units,
        "users": {u["username"]: u["password_hash"] for u in users},
        "roles": roles,
        "members": members,
        "lists": lists,
        "tenants": tenants,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clean_environment(monkeypatch, folder)
        url = f"sqlite:///{folder / 'demo.sqlite'}"
        info = asyncio.run(prepare_demo(url))
        before = asyncio.run(_snapshot(url, info.tenant_id))
        again = asyncio.run(prepare_demo(url))
        after = asyncio.run(_snapshot(url, info.tenant_id))
        print(f"demo built in {info.seconds:.1f} s, again in {again.seconds:.1f} s")
        yield Built(folder, info, again, before, after)


def test_the_demo_is_built_and_a_second_run_creates_nothing(built: Built) -> None:
    info, again = built.info, built.again
    assert info.secret_key.startswith("generated ")
    assert (built.folder / ".nguon" / "secret_key").exists()
    assert [r.slug for r in info.onboarding] == ["hungyen", "thaibinh"]
    assert info.merge is not None and info.merge.restructuring is not None
    assert info.candidates_created == info.candidates >= 600 and info.lists_created > 300
    assert info.changed
    assert not again.changed and again.onboarding == [] and again.merge is None
    assert again.candidates_created == again.lists_created == 0
    assert again.secret_key.startswith("kept ")
    assert built.after == built.before


def test_thaibinh_is_merged_into_todays_hungyen(built: Built) -> None:
    data = built.before
    assert {(t["slug"], t["merged_into"], t["merged_on"]) for t in data["tenants"]} == {
        ("hungyen", None, None),
        ("thaibinh", "hungyen", MERGED_ON),
    }
    today = today_in_vietnam()
    in_force = [
        u
        for u in data["units"].values()
        if u["valid_from"] <= today and (u["valid_to"] is None or u["valid_to"] > today)
    ]
    kinds = [u["kind"] for u in in_force]
    assert kinds.count("commune_committee") == 104
    assert kinds.count("province_committee") == kinds.count("organisation_board") == 1
    assert not {"district_committee", "bloc_committee", "political_training_centre"} & set(kinds)
    package = load_package("hungyen")
    assert all(package.kind_in_force(kind, today) for kind in kinds)
    old = {u["code"] for u in data["units"].values() if u["code"].split(".")[0] == "tb"}
    assert len(old) == 171


def test_the_people_of_both_provinces(built: Built) -> None:
    data = built.before
    candidates = data["candidates"]
    today = today_in_vietnam()
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
        cell = data["units"][c["unit"]]
        assert cell["kind"] in {"grassroots_cell", "subordinate_cell"}
        assert c["unit_path"] == cell["path"]
        assert cell["valid_to"] is None, "every candidate followed their cell's successor"
        assert c["name_search"] == search_key(c["full_name"])
    with_id = [c for c in candidates if c["national_id_encrypted"]]
    assert with_id and all(c["national_id_hash"] for c in with_id)
    with pytest.MonkeyPatch.context() as monkeypatch:
        # What the operator guide says to do before other commands on the demo database.
        key = (built.folder / ".nguon" / "secret_key").read_text()
        monkeypatch.setenv("NGUON_SECRET_KEY", key)
        numbers = {decrypt_national_id(c["national_id_encrypted"]) for c in with_id}
    assert all(len(n) == 12 and n.isdigit() for n in numbers)
    assert {n[:3] for n in numbers} == {"033", "034"}
    assert any("tỉnh Thái Bình" in c["home_town"] for c in candidates)
    # Every cell with candidates has official members to help them (the helper choice is
    # never empty in the demo), each with a card number and a history line.
    full_by_cell: dict[int, int] = {}
    for member in data["members"]:
        assert member["unit_path"] == data["units"][member["unit"]]["path"]
        assert member["card_number"]
        if member["status"] == "full" and member["ended_on"] is None:
            full_by_cell[member["unit"]] = full_by_cell.get(member["unit"], 0) + 1
    assert all(full_by_cell.get(c["unit"], 0) >= 2 for c in candidates)
    assert any(m["status"] == "probationary" for m in data["members"])
    assert len({m["card_number"] for m in data["members"]}) == len(data["members"])


def _list_of(data: dict, code: str, period: str) -> dict | None:
    unit_ids = {u["id"] for u in data["units"].values() if u["code"] == code}
    found = [
        row for row in data["lists"] if row["unit"] in unit_ids and row["period_code"] == period
    ]
    return found[0] if found else None


def test_history_walks_the_old_chains_then_the_new_ones(built: Built) -> None:
    data = built.before
    units = data["units"]

    def receiver(row: dict) -> str:
        return units[row["receiver_unit"]]["code"]

    old_cell = _list_of(data, "hy.vanlam.lachong.thon-1", "2024-Q2")
    assert old_cell is not None and old_cell["state"] == "accepted"
    assert receiver(old_cell) == "hy.vanlam.lachong"
    assert receiver(_list_of(data, "hy.vanlam.lachong", "2024-Q2")) == "hy.vanlam"
    assert receiver(_list_of(data, "hy.vanlam", "2024-Q2")) == "hy.btc"
    assert receiver(_list_of(data, "tb.thaibinh", "2024-annual")) == "tb.btc"
    assert receiver(_list_of(data, "tb.btc", "2024-annual")) == "tb"
    assert old_cell["submitted_at"].date() < MERGED_ON

    new_cell = _list_of(data, "hy.x.nhuquynh.lachong-thon-1", "2026-Q1")
    assert new_cell is not None and new_cell["state"] == "accepted"
    assert receiver(new_cell) == "hy.x.nhuquynh"
    assert receiver(_list_of(data, "hy.x.nhuquynh", "2026-Q1")) == "hy.btc"
    assert receiver(_list_of(data, "hy.p.tb-thaibinh", "2026-Q1")) == "hy.btc"
    assert receiver(_list_of(data, "hy.ca.tb-pc08", "2026-Q1")) == "hy.ca"
    assert _list_of(data, "hy.btc", "2026-Q1")["state"] == "accepted"
    closed = {row["period_code"] for row in data["lists"] if row["state"] == "accepted"}
    assert {"2024-Q2", "2024-Q3", "2024-annual", "2025-Q3", "2025-annual"} <= closed


def test_the_current_period_is_under_way(built: Built) -> None:
    data = built.before
    period = load_package("hungyen").calendar.period_for(today_in_vietnam())
    assert period is not None
    current = [row for row in data["lists"] if row["period_code"] == period.code]
    units = data["units"]
    waiting: dict[str, list[str]] = {}
    for row in current:
        if row["state"] == "submitted":
            waiting.setdefault(units[row["receiver_unit"]]["code"], []).append(
                units[row["unit"]]["code"]
            )
    assert len(waiting["hy.x.nhuquynh"]) == 2
    assert sorted(waiting["hy.btc"]) == ["hy.p.phohien", "hy.p.tb-thaibinh"]
    assert sorted(waiting["hy.ca"]) == ["hy.ca.pc02", "hy.ca.px01", "hy.ca.tb-pc08"]
    assert _list_of(data, "hy.x.nhuquynh.lachong-thon-1", period.code) is None
    assert _list_of(data, "hy.x.nhuquynh", period.code) is None
    states = [
        row["state"] for row in current if units[row["receiver_unit"]]["code"] == "hy.x.nhuquynh"
    ]
    assert sorted(states) == ["accepted", "accepted", "draft", "submitted", "submitted"]


def test_logins_hold_roles_on_todays_units_and_keep_their_history(built: Built) -> None:
    data = built.before
    for login in built.info.logins:
        assert verify_password(data["users"][login.username], login.password)
    roles = {(r["user.username"], r["role"], r["unit.code"]) for r in data["roles"]}
    assert {
        ("demo.chibo", "editor", "hy.x.nhuquynh.lachong-thon-1"),
        ("demo.chibo", "editor", "hy.vanlam.lachong.thon-1"),
        ("demo.coso", "approver", "hy.x.nhuquynh"),
        ("demo.coso", "approver", "hy.vanlam.lachong"),
        ("demo.huyen", "approver", "hy.vanlam"),
        ("demo.tinh", "approver", "hy"),
        ("demo.tinh", "approver", "hy.btc"),
        ("demo.congan", "approver", "hy.ca"),
        ("demo.admin", "tenant_admin", "hy"),
    } <= roles


HOME_PAGES = {
    "demo.chibo": ("hy.x.nhuquynh.lachong-thon-1", 0),
    "demo.coso": ("hy.x.nhuquynh", 2),
    "demo.tinh": ("hy", 2),
    "demo.congan": ("hy.ca", 3),
    "demo.admin": ("hy", 7),
}
"""Each role's unit and how many lists wait in its inbox in the current period: only the
lists addressed to one of the reader's own units (the organisation board receives the two
wards' lists; the tenant administrator, who may act everywhere, sees all 2 + 2 + 3)."""


async def test_every_role_works_in_the_current_period(built: Built) -> None:
    period = load_package("hungyen").calendar.period_for(today_in_vietnam())
    assert period is not None
    units = {u["code"]: u["id"] for u in built.before["units"].values()}
    settings = Settings(
        database_url=built.url,
        migrate_database_url=built.url,
        secret_key="demo-pages-test",
        redis_url=None,
        debug=False,
    )
    app = create_app(settings, engine=make_engine(built.url))
    for hook in app.on_startup:
        await hook()
    passwords = {login.username: login.password for login in DEMO_LOGINS}
    try:
        for username, (unit_code, waiting) in HOME_PAGES.items():
            async with AppClient(app) as client:
                page = await client.get("/t/hungyen/login")
                signed_in = await client.post(
                    "/t/hungyen/login",
                    data={
                        "username": username,
                        "password": passwords[username],
                        "_csrf_token": csrf_token_in(page.text),
                    },
                )
                assert signed_in.status_code == 303, username
                home = await client.get("/t/hungyen/")
                assert home.status_code == 200, username
                assert "Kỳ rà soát hiện tại" in home.text, username
                assert f"{period.deadline:%d/%m/%Y}" in home.text, username
                inbox = await client.get("/t/hungyen/inbox")
                assert inbox.status_code == 200
                assert len(re.findall(r"Trả lại danh sách", inbox.text)) == waiting, username
                dashboard = await client.get(f"/t/hungyen/units/{units[unit_code]}/dashboard")
                assert dashboard.status_code == 200, username
                assert f"{period.deadline:%d/%m/%Y}" in dashboard.text
    finally:
        for hook in app.on_shutdown:
            await hook()


def test_demo_command_without_serving(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_environment(monkeypatch, tmp_path)
    shutil.copy(built.folder / "demo.sqlite", tmp_path / "nguon-demo.sqlite")
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Database: sqlite:///nguon-demo.sqlite" in result.output
    assert f"Secret key: generated {tmp_path.resolve() / '.nguon' / 'secret_key'}" in (
        result.output
    )
    assert "Tenant hungyen: already built, nothing changed." in result.output
    assert "demo.chibo   chibo-demo-2024    editor on hy.x.nhuquynh.lachong-thon-1" in (
        result.output
    )
    # Nothing serves: no address to open, and no line printed twice.
    assert "Open http" not in result.output
    assert "Serve it with `nguon demo`" in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), result.output


def test_the_first_run_says_what_it_built(built: Built, capsys: pytest.CaptureFixture) -> None:
    _print_info(built.info)
    out = capsys.readouterr().out
    assert "Tenant hungyen (2024): 251 units created." in out
    assert "Tenant thaibinh (2024): 171 units created." in out
    assert "Merged thaibinh into hungyen on 2025-07-01." in out
    assert "restructured with hungyen-2025-07-01.toml: 406 units created, 396 closed" in out
    assert (
        "periods walked in hungyen (2024): 2024-Q2, 2024-Q3, 2024-annual, 2025-Q1, 2025-Q2" in out
    )
    assert "periods walked in thaibinh (2024): 2024-Q2, 2024-Q3, 2024-annual, 2025-Q1" in out
    assert "already built" not in out
