"""A province whose unit kinds Hưng Yên does not have onboards, refuses a unit its package
does not place, routes its lists up its own chains in the current period of the real clock,
and opens courses where its package says: with no platform change.

The package lives in ``fixtures/dao_xanh`` and reaches the platform the way a province's
package would, through the ``register_rules_packages`` hook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from nguon.clock import today_in_vietnam
from nguon.hooks import hookimpl
from nguon.plugins import get_plugin_manager
from nguon.rules.registry import clear_cache, load_package
from nguon.tenancy.manifest import ManifestError, parse_manifest
from tests.conftest import Database
from tests.http.conftest import _PASSWORD_HASH, AppClient, candidate_body, token_for
from tests.onboarding.conftest import fresh_slug, onboard_as_owner

FIXTURES = Path(__file__).parent / "fixtures"


class _DaoXanh:
    @hookimpl
    def register_rules_packages(self) -> list[Path]:
        return [FIXTURES / "dao_xanh"]


@pytest.fixture
def dao_xanh() -> Iterator[None]:
    manager = get_plugin_manager()
    plugin = _DaoXanh()
    manager.register(plugin)
    clear_cache()
    yield
    manager.unregister(plugin)
    clear_cache()


def _manifest(slug: str, extra_unit: str = "") -> str:
    user = 'password_hash = "{hash}"\nmemberships = [{{ unit = "{unit}", role = "{role}" }}]'
    users = "\n".join(
        f'[[users]]\nusername = "{name}"\nfull_name = "Đồng chí {name}"\n'
        + user.format(hash=_PASSWORD_HASH, unit=unit, role=role)
        for name, unit, role in [
            ("village.editor", "dx.r1.v1", "editor"),
            ("region.approver", "dx.r1", "approver"),
            ("board.approver", "dx.btc", "approver"),
            ("boat.editor", "dx.port.b1", "editor"),
            ("port.approver", "dx.port", "approver"),
        ]
    )
    return f"""
slug = "{slug}"
name = "Tỉnh Đảo Xanh"
rules_package = "dao_xanh"

[admin]
username = "admin.daoxanh"
full_name = "Quản trị Đảo Xanh"
password_hash = "{_PASSWORD_HASH}"

{users}

[[units]]
code = "dx"
name = "Tỉnh ủy Đảo Xanh"
kind = "island_committee"
valid_from = 2024-01-01

[[units.children]]
code = "dx.btc"
name = "Ban Tổ chức Tỉnh ủy Đảo Xanh"
kind = "personnel_board"
valid_from = 2024-01-01

[[units.children]]
code = "dx.r1"
name = "Khu ủy Bắc Đảo"
kind = "region_committee"
valid_from = 2024-01-01

[[units.children.children]]
code = "dx.r1.v1"
name = "Chi bộ thôn Bãi Cát"
kind = "village_cell"
valid_from = 2024-01-01
{extra_unit}
[[units.children]]
code = "dx.port"
name = "Đảng ủy cảng cá Đảo Xanh"
kind = "harbour_committee"
bloc = "fishery"
valid_from = 2024-01-01

[[units.children.children]]
code = "dx.port.b1"
name = "Chi bộ tàu cá ĐX-01"
kind = "boat_cell"
valid_from = 2024-01-01
"""


def _current_period() -> str:
    calendar = load_package("dao_xanh").calendar
    assert calendar is not None
    period = calendar.period_for(today_in_vietnam())
    assert period is not None, "the made-up calendar covers every day"
    return period.code


def test_a_unit_the_package_does_not_place_is_refused_naming_its_rule(dao_xanh: None) -> None:
    misplaced = """
[[units.children.children.children]]
code = "dx.r1.v1.boat"
name = "Chi bộ tàu cá lạc chỗ"
kind = "boat_cell"
valid_from = 2024-01-01
"""
    with pytest.raises(ManifestError) as caught:
        parse_manifest(_manifest("dao-xanh-bad", misplaced))
    assert caught.value.problems == [
        "$.units[0].children[1].children[0].children[0].kind: a unit of kind 'boat_cell' "
        "cannot sit under 'dx.r1.v1' of kind 'village_cell' on 2024-01-01 (package "
        "'dao_xanh' version 2024.1, structure.toml placement of 'boat_cell': allowed parents "
        "harbour_committee)"
    ]


async def test_a_made_up_province_runs_its_lists_up_its_own_chains(
    dao_xanh: None, db: Database, client: AppClient
) -> None:
    slug = fresh_slug("dao-xanh")
    await onboard_as_owner(db, parse_manifest(_manifest(slug)))
    headers = {name: await token_for(client, slug, name) for name in _USERS}
    api = f"/t/{slug}/api/v1"
    tree = (await client.get(f"{api}/units", headers=headers["admin.daoxanh"])).json()
    units = {unit["code"]: unit["id"] for unit in tree["items"]}
    period = _current_period()
    resolution = {
        "number": "01-NQ/CB",
        "adopted_on": today_in_vietnam().isoformat(),
        "members_total": 9,
        "members_present": 8,
        "members_agreeing": 7,
    }

    async def call(user: str, method: str, path: str, **kwargs: object) -> dict:
        response = await client.request(method, api + path, headers=headers[user], **kwargs)
        assert response.status_code in {200, 201}, response.text
        return response.json()

    async def send_up(user: str, unit: str) -> dict:
        made = await call(
            user,
            "POST",
            "/lists",
            json={"unit_id": units[unit], "step": "survey", "period": period},
        )
        list_id = made["list"]["id"]
        await call(
            user, "POST", f"/lists/{list_id}/adopt", json={"version": 1, "resolution": resolution}
        )
        return await call(user, "POST", f"/lists/{list_id}/submit", json={"version": 2})

    for unit, name in (("dx.r1.v1", "Nguyễn Văn Biển"), ("dx.port.b1", "Trần Thị Sóng")):
        body = candidate_body(units[unit], full_name=name, political_standard="passed")
        await call("admin.daoxanh", "POST", "/candidates", json=body)

    village = await send_up("village.editor", "dx.r1.v1")
    assert village["list"]["receiver_unit_id"] == units["dx.r1"]
    boat = await send_up("boat.editor", "dx.port.b1")
    assert boat["list"]["receiver_unit_id"] == units["dx.port"]

    await call(
        "region.approver", "POST", f"/lists/{village['list']['id']}/accept", json={"version": 3}
    )
    region = await send_up("region.approver", "dx.r1")
    assert region["list"]["receiver_unit_id"] == units["dx.btc"]
    assert region["list"]["included_count"] == 1

    await call(
        "board.approver", "POST", f"/lists/{region['list']['id']}/accept", json={"version": 3}
    )
    board = await send_up("board.approver", "dx.btc")
    assert board["list"]["receiver_unit_id"] == units["dx"]

    course = {
        "title": "Lớp bồi dưỡng nhận thức về Đảng",
        "opens_on": today_in_vietnam().isoformat(),
        "closes_on": (today_in_vietnam() + dt.timedelta(days=20)).isoformat(),
        "sessions_total": 6,
    }
    opened = await call(
        "port.approver", "POST", "/courses", json={**course, "organiser_unit_id": units["dx.port"]}
    )
    assert opened["run_by"] == "organisation_board"
    refused = await client.post(
        f"{api}/courses",
        json={**course, "organiser_unit_id": units["dx.r1.v1"]},
        headers=headers["admin.daoxanh"],
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "organiser_unit_id"


_USERS = (
    "admin.daoxanh",
    "village.editor",
    "region.approver",
    "board.approver",
    "boat.editor",
    "port.approver",
)
