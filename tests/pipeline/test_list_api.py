"""The list API around the walk: hooks for list events and rendering, the form document,
review periods, resolution thresholds from the package, and stored decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from nguon.clock import today_in_vietnam
from nguon.errors import InvalidInput
from nguon.hooks import hookimpl
from nguon.people.tables import Candidate
from nguon.pipeline.decisions import DecisionStats, decide
from nguon.pipeline.documents import ListDocument, ListRenderer
from nguon.pipeline.resolutions import check_thresholds
from nguon.pipeline.schemas import ResolutionIn
from nguon.plugins import get_plugin_manager
from nguon.rules.registry import load_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant
from tests.conftest import Database
from tests.http.conftest import AppClient
from tests.pipeline.conftest import Driver, build_chain_world


def _render_text(document: ListDocument) -> bytes:
    lines = [document.superior_committee, document.unit_name, document.place, document.title]
    lines.append(document.period_label)
    lines.append("|".join(c.header for c in document.columns))
    lines += ["|".join(row) for row in document.rows]
    return "\n".join(lines).encode()


class RecordingPlugin:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str, str, str]] = []

    @hookimpl
    def register_list_renderers(self) -> list[ListRenderer]:
        return [ListRenderer("txt", "text/plain; charset=utf-8", "txt", _render_text)]

    @hookimpl
    def list_submitted(self, candidate_list, actor) -> None:
        self.calls.append(("submitted", candidate_list.id, candidate_list.state, actor.label, ""))

    @hookimpl
    def list_returned(self, candidate_list, actor, comment) -> None:
        self.calls.append(
            ("returned", candidate_list.id, candidate_list.state, actor.label, comment)
        )

    @hookimpl
    def list_accepted(self, candidate_list, actor) -> None:
        self.calls.append(("accepted", candidate_list.id, candidate_list.state, actor.label, ""))


@pytest.fixture
def plugin() -> Iterator[RecordingPlugin]:
    recorder = RecordingPlugin()
    manager = get_plugin_manager()
    manager.register(recorder, name="test-recording-plugin")
    yield recorder
    manager.unregister(name="test-recording-plugin")


async def test_list_events_reach_plugins_after_commit_and_never_for_refused_changes(
    db: Database, client: AppClient, plugin: RecordingPlugin
) -> None:
    world = await build_chain_world(db, "hooks")
    drive = Driver(client, world)
    await drive.candidate("cell_x", "Nguyễn Văn An")
    list_id = (await drive.create("x_editor", "cell_x"))["list"]["id"]
    await drive.adopt_and_submit("x_editor", list_id)
    stale = await drive.call(
        "commune_approver", "POST", f"/lists/{list_id}/return", json={"version": 1, "comment": "x"}
    )
    assert stale.status_code == 409
    await drive.ok(
        "commune_approver",
        "POST",
        f"/lists/{list_id}/return",
        json={"version": 3, "comment": "Bổ sung quê quán"},
    )
    await drive.adopt_and_submit("x_editor", list_id)
    await drive.accept("commune_approver", list_id)
    assert plugin.calls == [
        ("submitted", list_id, "submitted", "x_editor", ""),
        ("returned", list_id, "returned", "commune_approver", "Bổ sung quê quán"),
        ("submitted", list_id, "submitted", "x_editor", ""),
        ("accepted", list_id, "accepted", "commune_approver", ""),
    ]


async def test_export_renders_the_packages_form_through_a_renderer_plugin(
    db: Database, client: AppClient, plugin: RecordingPlugin
) -> None:
    world = await build_chain_world(db, "export")
    drive = Driver(client, world)
    await drive.candidate(
        "cell_x", "Nguyễn Văn An", youth_union_member=True, ethnicity="Kinh", religion="Không"
    )
    list_id = (await drive.create("x_editor", "cell_x"))["list"]["id"]
    response = await drive.call("x_viewer", "GET", f"/lists/{list_id}/export?format=txt")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[:3] == ["ĐẢNG ỦY XÃ LẠC HỒNG", "CHI BỘ THÔN NGỌC ĐÀ", "Lạc Hồng"]
    assert lines[3].startswith("Danh sách quần chúng")
    assert lines[4] == "Quý II năm 2024"
    assert lines[5].startswith("STT|Họ và tên|Ngày, tháng, năm sinh|Giới tính")
    assert lines[6].split("|")[:5] == ["1", "Nguyễn Văn An", "01/03/2000", "Nam", "Kinh"]
    assert "Trung học phổ thông" in lines[6] and "|x|" in lines[6]

    unknown = await drive.call("x_viewer", "GET", f"/lists/{list_id}/export?format=pdf")
    assert unknown.status_code == 400
    assert "txt" in unknown.json()["detail"]


async def test_periods_come_from_the_package_calendar(db: Database, client: AppClient) -> None:
    world = await build_chain_world(db, "periods")
    drive = Driver(client, world)
    periods = (await drive.ok("x_viewer", "GET", "/periods?year=2024"))["items"]
    assert [(p["code"], p["kind"], p["for_year"]) for p in periods] == [
        ("2024-Q2", "survey", 2024),
        ("2024-Q3", "supplement", 2024),
        ("2024-annual", "survey", 2025),
    ]
    assert periods[0]["first_review"] is True
    assert not any(p["current"] for p in periods)  # 2024 is over
    today = today_in_vietnam()
    this_year = (await drive.ok("x_viewer", "GET", f"/periods?year={today.year}"))["items"]
    open_today = [p["code"] for p in this_year if p["opens"] <= today.isoformat() <= p["deadline"]]
    assert [p["code"] for p in this_year if p["current"]] == open_today
    bad = await drive.call(
        "x_editor",
        "POST",
        "/lists",
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": "2024-Q1"},
    )
    assert bad.status_code == 400 and "period" in bad.text
    bad_step = await drive.call(
        "x_editor",
        "POST",
        "/lists",
        json={"unit_id": world.units["cell_x"], "step": "khảo sát", "period": "2024-Q2"},
    )
    assert bad_step.status_code == 400 and "step" in bad_step.text


def _resolution(present: int, agreeing: int, total: int = 9) -> ResolutionIn:
    return ResolutionIn(
        number="01-NQ/CB",
        adopted_on=dt.date(2024, 6, 20),
        members_total=total,
        members_present=present,
        members_agreeing=agreeing,
    )


def test_resolution_thresholds_are_the_packages_more_than_half_present_two_thirds_agree() -> None:
    package = load_package("hungyen")
    check_thresholds(package, _resolution(present=5, agreeing=5, total=7))
    check_thresholds(package, _resolution(present=6, agreeing=6))
    with pytest.raises(InvalidInput) as quorum:
        check_thresholds(package, _resolution(present=4, agreeing=4, total=8))
    assert quorum.value.field == "resolution.members_present" and "dự họp" in quorum.value.message
    with pytest.raises(InvalidInput) as approval:
        check_thresholds(package, _resolution(present=9, agreeing=5))
    assert (
        approval.value.field == "resolution.members_agreeing"
        and "tán thành" in approval.value.message
    )
    with pytest.raises(InvalidInput) as impossible:
        check_thresholds(package, _resolution(present=5, agreeing=6))
    assert impossible.value.field == "resolution.members_agreeing"


async def test_stored_decisions_are_reused_until_the_candidates_facts_change(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "cache")
    drive = Driver(client, world)
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
        await drive.candidate("cell_x", name)
    package = load_package("hungyen")
    on = dt.date(2024, 6, 30)
    with tenant_context(world.tenant_id):
        rows = await Candidate.select().where(in_tenant(Candidate)).order_by(Candidate.id).run()
        units = {world.units["cell_x"]: {"kind": "subordinate_cell", "bloc": "commune"}}
        first, second, third = DecisionStats(), DecisionStats(), DecisionStats()
        await decide(package, rows, units, on, "survey_list", first)
        await decide(package, rows, units, on, "survey_list", second)
        rows[0]["education"] = "primary"
        outcomes = await decide(package, rows, units, on, "survey_list", third)
    assert (first.evaluated, first.reused) == (3, 0)
    assert (second.evaluated, second.reused) == (0, 3)
    assert (third.evaluated, third.reused) == (1, 2)
    assert outcomes[rows[0]["id"]].outcome == "not_eligible"


async def test_the_openapi_document_describes_the_list_routes(
    db: Database, client: AppClient
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]
    base = "/t/{tenant}/api/v2"
    assert set(paths[f"{base}/lists"]) >= {"get", "post"}
    assert set(paths[f"{base}/lists/{{list_id}}"]) >= {"get", "patch"}
    for action in ("adopt", "submit", "return", "accept"):
        assert "post" in paths[f"{base}/lists/{{list_id}}/{action}"]
    assert "get" in paths[f"{base}/lists/{{list_id}}/export"]
    assert "get" in paths[f"{base}/lists/inbox"] and "get" in paths[f"{base}/periods"]
    patch_parameters = {
        p["name"] for p in paths[f"{base}/lists/{{list_id}}"]["patch"]["parameters"]
    }
    assert "If-Match" in patch_parameters
    detail = document["components"]["schemas"]["ListDetail"]["properties"]
    assert {"list", "entries", "refused", "removed", "counts_by_unit", "may_act"} <= set(detail)


async def test_after_a_data_correction_refresh_applies_the_rules_and_keeps_users_choices(
    db: Database, client: AppClient
) -> None:
    world = await build_chain_world(db, "refresh")
    drive = Driver(client, world)
    wrong = await drive.candidate("cell_x", "Nguyễn Văn An", education="primary")
    kept_out = await drive.candidate("cell_x", "Trần Thị Bình")
    created = await drive.create("x_editor", "cell_x")
    list_id = created["list"]["id"]
    assert [e["candidate_id"] for e in created["refused"]] == [wrong]
    assert created["refused"][0]["reasons"][0]["code"] == "education_below_minimum"
    await drive.ok(
        "x_editor",
        "PATCH",
        f"/lists/{list_id}",
        json={"version": 1, "remove": [{"candidate_id": kept_out, "reason": "Đi học xa"}]},
    )
    await drive.ok(
        "admin",
        "PATCH",
        f"/candidates/{wrong}",
        json={"version": 1, "education": "upper_secondary"},
    )
    late = await drive.candidate("cell_x", "Lê Văn Cường")
    refreshed = await drive.ok(
        "x_editor", "POST", f"/lists/{list_id}/refresh", headers={"If-Match": "2"}, json={}
    )
    assert refreshed["list"]["version"] == 3
    assert {e["candidate_id"] for e in refreshed["entries"]} == {wrong, late}
    assert refreshed["refused"] == []
    assert [e["candidate_id"] for e in refreshed["removed"]] == [kept_out]
    viewer = await drive.call("x_viewer", "POST", f"/lists/{list_id}/refresh", json={"version": 3})
    assert viewer.status_code == 403
