"""Twenty editors change one list at once on Postgres: one wins, nineteen get 409, and
nothing is lost; retried with the ETag read back in If-Match, every change lands."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import Database
from tests.http.conftest import AppClient
from tests.pipeline.conftest import Driver, build_chain_world
from tests.problems import assert_problem

EDITORS = 20


async def test_twenty_concurrent_editors_one_wins_the_rest_get_409_and_nothing_is_lost(
    postgres_db: Database, pg_client: AppClient
) -> None:
    world = await build_chain_world(postgres_db, "race")
    drive = Driver(pg_client, world)
    people = [await drive.candidate("cell_x", f"Nguyễn Văn Số {i:02d}") for i in range(EDITORS)]
    created = await drive.create("x_editor", "cell_x")
    list_id = created["list"]["id"]
    assert created["list"]["included_count"] == EDITORS
    headers = await drive.headers("x_editor")

    def change(i: int, version: int) -> dict:
        return {"version": version, "remove": [{"candidate_id": people[i], "reason": f"Lý do {i}"}]}

    started = time.perf_counter()
    responses = await asyncio.gather(
        *(
            pg_client.patch(world.api(f"/lists/{list_id}"), json=change(i, 1), headers=headers)
            for i in range(EDITORS)
        )
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == EDITORS - 1, statuses
    winner = statuses.index(200)
    for refused in (r for r in responses if r.status_code == 409):
        assert assert_problem(refused, 409, "version_mismatch")["errors"][0]["field"] == "version"

    after = await drive.ok("x_editor", "GET", f"/lists/{list_id}")
    assert after["list"]["version"] == 2
    assert [e["candidate_id"] for e in after["removed"]] == [people[winner]]
    assert after["list"]["included_count"] == EDITORS - 1

    # Each loser reloads and retries: every change lands, none overwrites another.
    for i in range(EDITORS):
        if i == winner:
            continue
        read = await pg_client.get(world.api(f"/lists/{list_id}"), headers=headers)
        etag = read.headers["ETag"]
        assert etag == f'"{read.json()["list"]["version"]}"'
        retried = await pg_client.patch(
            world.api(f"/lists/{list_id}"),
            json={"remove": change(i, 0)["remove"]},
            headers={**headers, "If-Match": etag},
        )
        assert retried.status_code == 200, retried.text
        assert retried.headers["ETag"] == f'"{retried.json()["list"]["version"]}"'
    final = await drive.ok("x_editor", "GET", f"/lists/{list_id}")
    assert final["list"]["version"] == EDITORS + 1
    assert final["list"]["included_count"] == 0
    assert {e["removal_reason"] for e in final["removed"]} == {f"Lý do {i}" for i in range(EDITORS)}
    print(f"\n{EDITORS} concurrent PATCHes of one list: {elapsed_ms:.0f} ms")
