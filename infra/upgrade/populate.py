"""Fill a migrated, empty database the way a province uses it, with the code on ``PYTHONPATH``
(``make_dump.py`` runs it from a worktree of the release being dumped).

A tenant onboarded from a manifest (units, users with roles), people added through the API,
one Party member, and lists in every state: draft, adopted, submitted, returned and
accepted. Only the public surface is used (the CLI and the JSON API), so it runs unchanged
on any release that has them. Environment: ``NGUON_DATABASE_URL`` (the app role),
``NGUON_MIGRATE_DATABASE_URL`` (the owner), ``NGUON_SECRET_KEY``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from nguon.accounts.passwords import hash_password
from nguon.app import create_app
from nguon.cli import main as nguon

SLUG = "nangcap"
PASSWORD = "mat-khau-nang-cap-2024"
PERIOD = "2024-Q2"
RESOLUTION = {
    "number": "05-NQ/CB",
    "adopted_on": "2024-06-20",
    "members_total": 9,
    "members_present": 8,
    "members_agreeing": 7,
}
MANIFEST = """\
slug = "nangcap"
name = "Tỉnh Nâng Cấp"
rules_package = "hungyen"

[admin]
username = "admin.nangcap"
full_name = "Quản trị tỉnh Nâng Cấp"
password_hash = "{hash}"

[[users]]
username = "bientap.ngocda"
full_name = "Nguyễn Văn Biên"
password_hash = "{hash}"
memberships = [{{ unit = "nc.vl.lh.nd", role = "editor" }}]

[[users]]
username = "bientap.dinhdu"
full_name = "Trần Thị Tập"
password_hash = "{hash}"
memberships = [{{ unit = "nc.vl.lh.dd", role = "editor" }}]

[[users]]
username = "bientap.thpt"
full_name = "Lê Văn Trường"
password_hash = "{hash}"
memberships = [{{ unit = "nc.vl.thpt", role = "editor" }}]

[[users]]
username = "duyet.lachong"
full_name = "Phạm Thị Duyệt"
password_hash = "{hash}"
memberships = [{{ unit = "nc.vl.lh", role = "approver" }}]

[[users]]
username = "xem.ngocda"
full_name = "Đỗ Văn Xem"
password_hash = "{hash}"
memberships = [{{ unit = "nc.vl.lh.nd", role = "viewer" }}]

[[units]]
code = "nc"
name = "Tỉnh ủy Nâng Cấp"
kind = "province_committee"
valid_from = 2020-10-01

[[units.children]]
code = "nc.btc"
name = "Ban Tổ chức Tỉnh ủy"
kind = "organisation_board"
valid_from = 2020-10-01

[[units.children]]
code = "nc.vl"
name = "Huyện ủy Văn Lâm"
kind = "district_committee"
valid_from = 2020-10-01

[[units.children.children]]
code = "nc.vl.lh"
name = "Đảng ủy xã Lạc Hồng"
kind = "grassroots_committee"
bloc = "commune"
valid_from = 2020-10-01

[[units.children.children.children]]
code = "nc.vl.lh.nd"
name = "Chi bộ thôn Ngọc Đà"
kind = "subordinate_cell"
valid_from = 2020-10-01

[[units.children.children.children]]
code = "nc.vl.lh.dd"
name = "Chi bộ thôn Đình Dù"
kind = "subordinate_cell"
valid_from = 2020-10-01

[[units.children.children]]
code = "nc.vl.thpt"
name = "Chi bộ Trường THPT Văn Lâm"
kind = "grassroots_cell"
bloc = "education"
valid_from = 2020-10-01
"""
PEOPLE = {
    "nc.vl.lh.nd": [
        ("Nguyễn Văn An", "2001-03-01", "male", "034201000111"),
        ("Vũ Thị Hoa", "1999-11-20", "female", None),
        ("Hoàng Văn Minh", "2003-07-15", "male", None),
    ],
    "nc.vl.lh.dd": [
        ("Trần Thị Bình", "2000-05-09", "female", "034200000222"),
        ("Đặng Văn Cường", "1998-02-14", "male", None),
    ],
    "nc.vl.thpt": [("Bùi Thị Dung", "2002-09-30", "female", None)],
}


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    async def __call__(self, username: str, method: str, path: str, **body: Any) -> Any:
        if username not in self.tokens:
            issued = await self.client.post(
                f"/t/{SLUG}/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            issued.raise_for_status()
            self.tokens[username] = issued.json()["access_token"]
        response = await self.client.request(
            method,
            f"/t/{SLUG}/api/v1{path}",
            headers={"Authorization": f"Bearer {self.tokens[username]}"},
            json=body or None,
        )
        if response.status_code not in {200, 201}:
            raise SystemExit(
                f"{method} {path} as {username}: {response.status_code} {response.text}"
            )
        return response.json()


async def _list(api: Api, username: str, unit_id: int) -> tuple[int, int]:
    made = await api(username, "POST", "/lists", unit_id=unit_id, step="survey", period=PERIOD)
    return made["list"]["id"], made["list"]["version"]


async def _adopt_and_submit(api: Api, username: str, unit_id: int, submit: bool) -> int:
    list_id, version = await _list(api, username, unit_id)
    await api(username, "POST", f"/lists/{list_id}/adopt", version=version, resolution=RESOLUTION)
    if submit:
        await api(username, "POST", f"/lists/{list_id}/submit", version=version + 1)
    return list_id


async def _populate(client: httpx.AsyncClient) -> None:
    api = Api(client)
    units = {u["code"]: u["id"] for u in (await api("admin.nangcap", "GET", "/units"))["items"]}
    for code, people in PEOPLE.items():
        for full_name, born, sex, national_id in people:
            await api(
                "admin.nangcap",
                "POST",
                "/candidates",
                unit_id=units[code],
                full_name=full_name,
                date_of_birth=born,
                sex=sex,
                education="upper_secondary",
                political_standard="passed",
                **({"national_id": national_id} if national_id else {}),
            )
    await api(
        "admin.nangcap",
        "POST",
        "/members",
        unit_id=units["nc.vl.lh.nd"],
        full_name="Ngô Văn Đảng",
        date_of_birth="1975-04-02",
        sex="male",
        admitted_on="2000-02-03",
        official_on="2001-02-03",
    )
    returned = await _adopt_and_submit(api, "bientap.ngocda", units["nc.vl.lh.nd"], submit=True)
    detail = await api("duyet.lachong", "GET", f"/lists/{returned}")
    await api(
        "duyet.lachong",
        "POST",
        f"/lists/{returned}/return",
        version=detail["list"]["version"],
        comment="Bổ sung lý lịch của quần chúng Vũ Thị Hoa",
    )
    accepted = await _adopt_and_submit(api, "bientap.dinhdu", units["nc.vl.lh.dd"], submit=True)
    detail = await api("duyet.lachong", "GET", f"/lists/{accepted}")
    await api(
        "duyet.lachong", "POST", f"/lists/{accepted}/accept", version=detail["list"]["version"]
    )
    await _adopt_and_submit(api, "bientap.thpt", units["nc.vl.thpt"], submit=True)  # submitted
    await _adopt_and_submit(api, "duyet.lachong", units["nc.vl.lh"], submit=False)  # adopted
    await _list(api, "admin.nangcap", units["nc.vl"])  # draft


async def _serve_and_populate() -> None:
    app = create_app()
    for hook in app.on_startup:
        await hook()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://upgrade.local") as c:
            await _populate(c)
    finally:
        for hook in app.on_shutdown:
            await hook()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / f"{SLUG}.toml"
        manifest.write_text(MANIFEST.format(hash=hash_password(PASSWORD)))
        nguon(["tenant", "onboard", str(manifest)], standalone_mode=False)
    asyncio.run(_serve_and_populate())
    print(f"populated tenant {SLUG}", file=sys.stderr)


if __name__ == "__main__":
    main()
