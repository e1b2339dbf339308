"""What the portal reads, over the API: a person's evaluation, re-evaluation jobs, a unit's
figures, the reporting chain of a list; each scoped to the tenant and the caller's reach."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from nguon.api.vocabulary import PERIOD_KIND, STAGE, STEP
from nguon.clock import today_in_vietnam
from nguon.pipeline.lists import periods_of_year
from nguon.portal.jobs import wait_for_jobs
from nguon.reports.dashboard import dashboard
from nguon.reports.definitions import PIPELINE_STAGES, STEPS
from nguon.rules import load_package
from nguon.tenancy.context import tenant_context
from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_today_world, build_world, token_for

NOT_FOUND_UNIT = (
    "Không tìm thấy đơn vị này, hoặc bạn không có quyền xem",
    "Not found: unit",
)


def v2(world: World, path: str) -> str:
    return f"/t/{world.slug}/api/v2{path}"


async def add_person(
    client: AppClient, world: World, headers: dict[str, str], unit: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "unit_id": world.units[unit],
        "full_name": "Nguyễn Thị Lan",
        "date_of_birth": "2002-03-14",
        "sex": "female",
        "education": "university",
        "political_standard": "passed",
        **fields,
    }
    made = await client.post(v2(world, "/candidates"), json=body, headers=headers)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_a_persons_evaluation_names_each_steps_outcome_reasons_clauses_and_parameters(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "eval")
    editor = await token_for(client, world.slug, "cell_x_editor")
    young = await add_person(
        client, world, editor, "cell_x", full_name="Lê Văn Nhỏ", date_of_birth="2012-01-01"
    )
    answer = await client.get(v2(world, f"/candidates/{young['id']}/evaluation"), headers=editor)
    assert answer.status_code == 200, answer.text
    evaluation = answer.json()
    assert evaluation["stage"] == "survey" and evaluation["package"] == "hungyen"
    assert evaluation["evaluated_on"] == today_in_vietnam().isoformat()
    by_step = {d["step"]: d for d in evaluation["decisions"]}
    assert set(by_step) == {"survey", "course_nominee", "admission_source", None}
    survey = by_step["survey"]
    assert survey["decision"] == "survey_list" and survey["outcome"] == "not_eligible"
    [age] = [r for r in survey["reasons"] if r["code"] == "age_below_minimum"]
    assert age["message_vi"].startswith("Chưa đủ 18 tuổi")
    assert age["clause"]["id"] and age["clause"]["text"] and age["clause"]["document"]
    [minimum] = age["parameters"]
    package = load_package("hungyen")
    assert minimum["name"] == "min_age_months"
    assert minimum["value"] == package.parameter("min_age_months", today_in_vietnam()) == 216
    assert minimum["reference"]

    # v1 gives the same evaluation with its own step names.
    old = await client.get(
        f"/t/{world.slug}/api/v1/candidates/{young['id']}/evaluation", headers=editor
    )
    assert {d["step"] for d in old.json()["decisions"]} == {
        "survey",
        "course_nominees",
        "admission_sources",
        None,
    }


async def test_reading_is_scoped_to_the_callers_reach_and_tenant(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "reach")
    other = await build_world(db, "reach-other")
    x_editor = await token_for(client, world.slug, "cell_x_editor")
    y_editor = await token_for(client, world.slug, "cell_y_editor")
    other_admin = await token_for(client, other.slug, "admin")
    person = await add_person(client, world, x_editor, "cell_x")
    cell_x = world.units["cell_x"]

    for headers, slug in ((y_editor, world.slug), (other_admin, other.slug)):
        for path in (
            f"/candidates/{person['id']}/evaluation",
            f"/units/{cell_x}/figures",
            f"/lists?unit_id={cell_x}",
            f"/candidates?unit_id={cell_x}",
            f"/courses?unit_id={cell_x}",
        ):
            answer = await client.get(f"/t/{slug}/api/v2{path}", headers=headers)
            assert answer.status_code == 404, f"{path}: {answer.text}"
        for path in (f"/candidates/{person['id']}/reevaluate", f"/units/{cell_x}/reevaluate"):
            answer = await client.post(f"/t/{slug}/api/v2{path}", headers=headers)
            assert answer.status_code == 404, f"{path}: {answer.text}"

    # A unit out of reach named in a body is the same 404 as in a path or a query.
    named = {
        "/units/{cell_x}": None,
        "/lists?unit_id={cell_x}": None,
        "/lists": {"unit_id": cell_x, "step": "survey", "period": "2024-Q2"},
        "/candidates": {
            "unit_id": cell_x,
            "full_name": "Trần Văn A",
            "date_of_birth": "2000-01-01",
            "sex": "male",
            "education": "university",
        },
    }
    bodies = set()
    for path, body in named.items():
        url = v2(world, path.format(cell_x=cell_x))
        if body is None:
            answer = await client.get(url, headers=y_editor)
        else:
            answer = await client.post(url, json=body, headers=y_editor)
        assert answer.status_code == 404, f"{path}: {answer.text}"
        problem = answer.json()
        assert (problem["detail"], problem["detail_en"]) == NOT_FOUND_UNIT
        # The same answer wherever the unit was named (but for the request's own traces).
        bodies.add(msgspec.json.encode({**problem, "instance": "", "request_id": None}))
    assert len(bodies) == 1, bodies


async def test_re_evaluating_is_a_job_whose_progress_can_be_polled(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "rejob")
    editor = await token_for(client, world.slug, "cell_x_editor")
    viewer = await token_for(client, world.slug, "cell_x_viewer")
    y_editor = await token_for(client, world.slug, "cell_y_editor")
    first = await add_person(client, world, editor, "cell_x")
    await add_person(client, world, editor, "cell_x", full_name="Đỗ Văn Hải")

    refused = await client.post(
        v2(world, f"/units/{world.units['cell_x']}/reevaluate"), headers=viewer
    )
    assert refused.status_code == 403, refused.text

    started = await client.post(
        v2(world, f"/units/{world.units['cell_x']}/reevaluate"), headers=editor
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == job["url"] == v2(world, f"/jobs/{job['id']}")
    assert job["unit_id"] == world.units["cell_x"] and job["total"] == 2
    assert job["candidate_id"] is None
    await wait_for_jobs()
    done = (await client.get(job["url"], headers=editor)).json()
    assert (done["state"], done["done"], done["percent"]) == ("done", 2, 100)
    # The viewer of the unit sees the job; a user of another cell does not.
    assert (await client.get(job["url"], headers=viewer)).status_code == 200
    assert (await client.get(job["url"], headers=y_editor)).status_code == 404
    assert (await client.get(v2(world, "/jobs/unknown"), headers=editor)).status_code == 404

    person_url = v2(world, f"/candidates/{first['id']}/reevaluate")
    assert (await client.post(person_url, headers=viewer)).status_code == 403
    one = await client.post(person_url, headers=editor)
    assert one.status_code == 202, one.text
    assert one.json()["candidate_id"] == first["id"] and one.json()["total"] == 1
    await wait_for_jobs()
    polled = (await client.get(one.json()["url"], headers=editor)).json()
    assert (polled["state"], polled["done"]) == ("done", 1)
    await asyncio.sleep(0)


async def test_a_units_figures_are_the_dashboards_with_their_definitions(
    db: Database, client: AppClient
) -> None:
    world = await build_today_world(db, "figs")
    editor = await token_for(client, world.slug, "cell_x_editor")
    approver = await token_for(client, world.slug, "committee_approver")
    await add_person(client, world, editor, "cell_x")
    await add_person(client, world, editor, "cell_x", full_name="Đỗ Văn Hải")
    year = today_in_vietnam().year
    committee = world.units["committee"]

    answer = await client.get(
        v2(world, f"/units/{committee}/figures"), params={"year": year}, headers=approver
    )
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert figures["in_source"] == 2
    assert {s["stage"]: s["count"] for s in figures["by_stage"]}["survey"] == 2
    assert [q["quarter"] for q in figures["quarters"]] == [1, 2, 3, 4]
    assert figures["year_totals"]["added"] == 2
    cells = {row["unit_id"]: row["in_source"] for row in figures["sub_units"]}
    assert cells == {world.units["cell_x"]: 2, world.units["cell_y"]: 0}
    codes = [p["period"]["code"] for p in figures["periods"]]
    assert codes and codes == sorted(codes, reverse=True)
    legend = {d["key"]: d for d in figures["definitions"]}
    assert legend["survey"]["label"] == "Khảo sát"
    assert legend["in_source"]["definition"].startswith("Tổng số người")

    # The same computation as the dashboard's.
    with tenant_context(world.tenant_id):
        package = load_package("hungyen")
        view = await dashboard(
            committee,
            f"{world.units['province']}.{committee}.",
            year,
            today_in_vietnam(),
            [],
            package.blocs,
        )
    assert view.total.in_source == figures["in_source"]
    assert view.total.by_stage["surveyed"] == 2

    # Every part of the answer as the dashboard has it, field by field, with a list
    # drawn up in the period open today so that its people count on it.
    today = today_in_vietnam()
    with tenant_context(world.tenant_id):
        current = next(p for p in periods_of_year(package, year) if p.opens <= today <= p.deadline)
    made = await client.post(
        v2(world, "/lists"),
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": current.code},
        headers=editor,
    )
    assert made.status_code == 201, made.text
    answer = await client.get(
        v2(world, f"/units/{committee}/figures"), params={"year": year}, headers=approver
    )
    figures = answer.json()
    with tenant_context(world.tenant_id):
        periods = sorted(
            (p for p in periods_of_year(package, year) if p.opens <= today),
            key=lambda p: p.opens,
            reverse=True,
        )
        view = await dashboard(
            committee, f"{world.units['province']}.{committee}.", year, today, periods, {}
        )
    assert [p["period"] for p in figures["periods"]] == [
        {
            "code": p.code,
            "opens": p.opens.isoformat(),
            "deadline": p.deadline.isoformat(),
            # API v2's words: the annual review, the course's year (nguon.api.vocabulary).
            "kind": PERIOD_KIND.get(p.kind, p.kind),
            "course_year": p.for_year,
            "first_review": p.first_review,
            "current": p.opens <= today <= p.deadline,
        }
        for p in periods
    ]
    for answered, status in zip(figures["periods"], view.figures.statuses, strict=True):
        assert answered["on_list"] == [
            {"step": STEP.get(step, step), "count": view.total.listed(status.period.code, step)}
            for step in STEPS
        ]
        assert (answered["expected_lists"], answered["submitted_lists"], answered["late"]) == (
            status.expected,
            status.submitted,
            status.late,
        )
        assert answered["missing"] == [
            {
                "unit_id": u.unit_id,
                "unit_name": u.name,
                "parent_name": u.parent_name,
                "state": u.state,
            }
            for u in status.missing
        ]
        assert answered["expected_lists"] >= 2  # both cells owe a list
    [now] = [p for p in figures["periods"] if p["period"]["current"]]
    assert {c["step"]: c["count"] for c in now["on_list"]}["survey"] == 2
    quarter = (today.month - 1) // 3
    for answered in figures["quarters"]:
        assert answered["target"] is None
        assert answered["added"] == (2 if answered["quarter"] == quarter + 1 else 0)
        assert answered["admitted"] == 0
    assert figures["year_totals"]["quarter"] == 0 and figures["year_totals"]["target"] is None
    assert figures["sub_units"] == [
        {
            "unit_id": row.unit_id,
            "label": row.label,
            "in_source": row.figures.in_source,
            "by_stage": [
                {"stage": STAGE.get(stage, stage), "count": row.figures.by_stage[stage]}
                for stage in PIPELINE_STAGES
            ],
            "admitted": 0,
        }
        for row in view.children
    ]
    assert {row["label"] for row in figures["sub_units"]} >= {"Chi bộ thôn Ngọc Đà"}

    # A cell's editor does not see the commune's figures.
    assert (
        await client.get(v2(world, f"/units/{committee}/figures"), headers=editor)
    ).status_code == 404


async def test_the_chain_names_each_unit_a_list_goes_through(
    db: Database, client: AppClient
) -> None:
    world = await build_today_world(db, "chain")
    editor = await token_for(client, world.slug, "cell_x_editor")
    await add_person(client, world, editor, "cell_x")
    made = await client.post(
        v2(world, "/lists"),
        json={"unit_id": world.units["cell_x"], "step": "survey", "period": "2026-Q1"},
        headers=editor,
    )
    assert made.status_code == 201, made.text
    list_id = made.json()["list"]["id"]
    chain = (await client.get(v2(world, f"/lists/{list_id}/chain"), headers=editor)).json()
    assert [(h["unit_id"], h["kind"]) for h in chain["hops"]] == [
        (world.units["cell_x"], "subordinate_cell"),
        (world.units["committee"], "commune_committee"),
        (world.units["board"], "organisation_board"),
        (world.units["province"], "province_committee"),
    ]
    assert chain["hops"][0]["list_id"] == list_id and chain["hops"][0]["list_state"] == "draft"
    # The units above are named; their lists are not shown to a cell's secretary.
    assert all(h["list_id"] is None for h in chain["hops"][1:])
    assert chain["broken"] is None
    other = await build_today_world(db, "chain-other")
    stranger = await token_for(client, other.slug, "admin")
    assert (
        await client.get(f"/t/{other.slug}/api/v2/lists/{list_id}/chain", headers=stranger)
    ).status_code == 404
