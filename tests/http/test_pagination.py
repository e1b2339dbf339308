"""Cursor pagination: every list endpoint pages, the order is stable while rows are added
between pages, and a cursor that was tampered with is refused naming ``cursor``."""

from __future__ import annotations

import re
import typing

import msgspec

from nguon.api.pagination import MAX_LIMIT, paged_route
from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_world, candidate_body, token_for

_LINK = re.compile(r'<(?P<url>[^>]+)>; rel="next"')


async def _add(client: AppClient, world: World, headers: dict[str, str], name: str) -> int:
    body = candidate_body(world.units["cell_x"], full_name=name)
    response = await client.post(f"/t/{world.slug}/api/v1/candidates", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_candidates_page_by_cursor_without_duplicates_or_skips_while_rows_are_added(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "pages")
    headers = await token_for(client, world.slug, "cell_x_editor")
    names = ["Bùi Văn B", "Đỗ Thị D", "Hoàng Văn H", "Lê Thị L", "Nguyễn Văn N", "Phạm Thị P"]
    before = {await _add(client, world, headers, name) for name in names}
    url = f"/t/{world.slug}/api/v1/candidates?limit=2"

    seen: list[int] = []
    page = await client.get(url, headers=headers)
    pages = 0
    while True:
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        if pages == 1:
            # Rows added between pages, before and after the cursor, in the same order.
            await _add(client, world, headers, "An Văn A")
            await _add(client, world, headers, "Vũ Thị V")
        if body["next"] is None:
            assert 'rel="next"' not in page.headers.get("Link", "")
            break
        link = _LINK.search(page.headers["Link"])
        assert link, page.headers["Link"]
        assert f"cursor={body['next']}" in link.group("url")
        page = await client.get(link.group("url"), headers=headers)
    assert len(seen) == len(set(seen)), "a candidate came twice"
    assert before <= set(seen), "a candidate that was there all along was skipped"
    assert len(seen) == len(before) + 1  # "Vũ" sorts after the cursor, "An" before it

    # The page/page_size of older clients still works, and carries a cursor to go on.
    old = (await client.get(url + "&page=2&page_size=2", headers=headers)).json()
    assert old["page"] == 2 and len(old["items"]) == 2 and old["next"]


async def test_a_tampered_or_foreign_cursor_and_a_too_large_limit_are_refused(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "pagebad")
    headers = await token_for(client, world.slug, "cell_x_editor")
    for name in ("Một", "Hai", "Ba"):
        await _add(client, world, headers, name)
    base = f"/t/{world.slug}/api/v1"
    first = (await client.get(f"{base}/candidates?limit=1", headers=headers)).json()
    cursor = first["next"]
    forged = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")
    for bad in (forged, "not-a-cursor", "%%%"):
        answer = await client.get(f"{base}/candidates", params={"cursor": bad}, headers=headers)
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.json()["errors"][0]["field"] == "cursor"
    foreign = await client.get(f"{base}/members", params={"cursor": cursor}, headers=headers)
    assert foreign.status_code == 400 and foreign.json()["errors"][0]["field"] == "cursor"
    too_many = await client.get(f"{base}/candidates?limit={MAX_LIMIT + 1}", headers=headers)
    assert too_many.status_code == 400 and "limit" in too_many.text


async def test_a_list_endpoint_paged_over_its_answer_keeps_a_stable_order(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "pageunits")
    headers = await token_for(client, world.slug, "admin")
    url = f"/t/{world.slug}/api/v1/units"
    everything = (await client.get(url, headers=headers)).json()
    assert everything["next"] is None and len(everything["items"]) == 7
    collected: list[int] = []
    answer = await client.get(url, params={"limit": 3}, headers=headers)
    while True:
        body = answer.json()
        collected += [u["id"] for u in body["items"]]
        if not body["next"]:
            break
        answer = await client.get(url, params={"limit": 3, "cursor": body["next"]}, headers=headers)
    assert collected == [u["id"] for u in everything["items"]]
    paths = [u["path"] for u in everything["items"]]
    assert paths == sorted(paths)  # parents before children


def _is_collection(annotation: object) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    inner = typing.get_args(annotation)
    if inner and typing.get_origin(annotation) is not None and _is_collection(inner[0]):
        return True  # Response[list[...]]
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        fields = {f.name: f.type for f in msgspec.structs.fields(annotation)}
        return typing.get_origin(fields.get("items")) is list
    return False


async def test_every_list_endpoint_of_the_api_is_paged_and_documents_cursor_and_limit(
    client: AppClient,
) -> None:
    """Walks the route table: each GET answering a collection is paged."""
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    collections = [
        route.path_format
        for route in client.app.routes
        if "/api/" in route.path
        for handler in getattr(route, "route_handlers", [])
        if "GET" in handler.http_methods
        and _is_collection(handler.parsed_fn_signature.return_type.annotation)
    ]
    assert len(collections) >= 12
    documented = 0
    for path in collections:
        assert paged_route("GET", path) is not None, path
        if path not in paths:  # an older API version may be left out of the document
            continue
        documented += 1
        operation = paths[path]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"cursor", "limit"} <= names, path
        assert "Link" in operation["responses"]["200"].get("headers", {}), path
    assert documented >= 12


async def test_bad_limit_cursor_and_filter_are_all_reported_in_one_answer(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "pageall")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v2"
    answer = await client.get(f"{base}/candidates?limit=x&cursor=y&unit_id=z&q=An", headers=headers)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    found = {e["field"]: (e["code"], e.get("parameter")) for e in problem["errors"]}
    assert found == {
        "limit": ("invalid_type", "limit"),
        "cursor": ("invalid_value", "cursor"),
        "unit_id": ("invalid_type", "unit_id"),
    }, problem
    assert all(f"`{name}`" in problem["detail_en"] for name in found)
    too_many = await client.get(f"{base}/candidates?limit={MAX_LIMIT + 1}", headers=headers)
    (limit,) = too_many.json()["errors"]
    assert (limit["field"], limit["code"]) == ("limit", "out_of_range")
    only_limit = await client.get(f"{base}/units?limit=0", headers=headers)
    assert [e["field"] for e in only_limit.json()["errors"]] == ["limit"]


async def test_a_v2_query_string_is_checked_whole_before_anything_runs(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "querywhole")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v2"
    answer = await client.get(
        f"{base}/lists?limit=0&cursor=xx&step=course_nominees&stagee=survey&unit_id=1x",
        headers=headers,
    )
    assert answer.status_code == 400, answer.text
    found = {e["parameter"]: e["code"] for e in answer.json()["errors"]}
    assert found == {
        "limit": "out_of_range",
        "cursor": "invalid_value",
        "step": "invalid_choice",
        "stagee": "unknown_field",
        "unit_id": "invalid_type",
    }, answer.text
    messages = {e["parameter"]: e["detail_en"] for e in answer.json()["errors"]}
    assert messages["step"] == "`step`: `course_nominees` is the v1 name; v2 says `course_nominee`."
    assert "it takes: `cursor`, `limit`, `period`, `step`, `unit_id`" in messages["stagee"]
    assert messages["unit_id"] == "`unit_id` must be an integer, not '1x'."
    bogus = await client.get(f"{base}/lists?step=bogus", headers=headers)
    assert "`course_nominee`, `survey`; got 'bogus'" in bogus.json()["detail_en"]
    fine = await client.get(f"{base}/lists?step=course_nominee&limit=5", headers=headers)
    assert fine.status_code == 200, fine.text
    v1 = await client.get(f"/t/{world.slug}/api/v1/lists?stagee=x", headers=headers)
    assert v1.status_code == 200, "v1 is left as it was until its sunset"


async def test_candidates_filter_by_stage_in_each_versions_words(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "stagefilter")
    headers = await token_for(client, world.slug, "cell_x_editor")
    made = await _add(client, world, headers, "Lê Thị Lọc")
    v2 = f"/t/{world.slug}/api/v2/candidates"
    surveyed = (await client.get(f"{v2}?stage=survey", headers=headers)).json()["items"]
    assert [c["id"] for c in surveyed] == [made]
    assert (await client.get(f"{v2}?stage=admitted", headers=headers)).json()["items"] == []
    v1 = f"/t/{world.slug}/api/v1/candidates?stage=surveyed"
    assert [c["id"] for c in (await client.get(v1, headers=headers)).json()["items"]] == [made]
    bogus = await client.get(f"{v2}?stage=bogus", headers=headers)
    assert bogus.status_code == 400
    assert "`survey`" in bogus.json()["errors"][0]["detail_en"]


async def test_a_period_that_cannot_exist_is_refused_not_answered_with_no_lists(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "periodcode")
    headers = await token_for(client, world.slug, "cell_x_editor")
    base = f"/t/{world.slug}/api/v2/lists"
    for bad in ("garbage", "2026-Q9"):
        answer = await client.get(f"{base}?period={bad}", headers=headers)
        assert answer.status_code == 400, answer.text
        (error,) = answer.json()["errors"]
        assert (error["parameter"], error["code"]) == ("period", "invalid_format")
        assert "2026-Q1 or 2026-annual" in error["detail_en"]
    assert (await client.get(f"{base}?period=2026-annual", headers=headers)).status_code == 200
