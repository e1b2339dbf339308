"""API errors as RFC 9457 problems in Vietnamese and English, every field problem at once;
the OpenAPI document complete enough for an outside integrator; the errors guide in step
with the registry of problem types."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
from litestar.routes import HTTPRoute
from litestar.testing import RequestFactory

from nguon.api.errors import domain_error
from nguon.api.field_problems import problems_in
from nguon.api.operation_texts import BODY_EXAMPLES
from nguon.api.problem_text import split_message, vietnamese_labels
from nguon.api.problems import PROBLEM_TYPES, markdown_tables, problem_type_of_status
from nguon.people.schemas import CandidateCreate
from nguon.pipeline.helper_schemas import ProposeAdmission
from nguon.pipeline.schemas import ListChange
from nguon.pipeline.stages import rules_refusal
from nguon.rules.decisions import Reason
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, token_for
from tests.problems import assert_problem

GUIDE = Path(__file__).parents[2] / "docs" / "api-errors.md"
PUBLIC = {"/health", "/t/{tenant}/api/v2/auth/token"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _guide_example(name: str) -> tuple[Any, Any]:
    """The request and the answer the guide shows after ``<!-- example: name -->``."""
    text = GUIDE.read_text(encoding="utf-8").split(f"<!-- example: {name} -->", 1)[1]
    blocks = re.findall(r"```json\n(.*?)```", text, re.S)
    return msgspec.json.decode(blocks[0]), msgspec.json.decode(blocks[1])


async def test_a_body_with_many_bad_fields_is_answered_with_all_of_them_and_their_pointers(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "many-bad")
    headers = await token_for(client, world.slug, "cell_x_editor")
    body, shown = _guide_example("many-fields")
    response = await client.post(f"/t/{world.slug}/api/v1/candidates", json=body, headers=headers)
    problem = assert_problem(response, 400, "validation_failed")
    assert problem["errors"] == shown["errors"]
    assert [e["pointer"] for e in problem["errors"]] == [
        "/unit_id",
        "/full_name",
        "/date_of_birth",
        "/sex",
        "/education",
        "/national_id",
        "/titel",
    ]
    assert problem["instance"] == f"/t/{world.slug}/api/v1/candidates"
    assert problem["type"] == "https://testserver.local/errors/validation_failed"
    assert all(f"`{e['field']}`" in problem["detail"] for e in problem["errors"])
    assert "Expected" not in response.text and "regex" not in response.text
    assert "tenant" not in [e["field"] for e in problem["errors"]]


async def test_a_control_character_in_one_field_does_not_hide_the_other_fields_problems(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "many-bad-ctl")
    headers = await token_for(client, world.slug, "cell_x_editor")
    body = {**_valid_candidate(), "unit_id": world.units["cell_x"]}
    body.update(full_name="Nguyễn\u0001 Văn A", sex="nam", notes=["a", "b\u202e"])
    del body["date_of_birth"]
    response = await client.post(f"/t/{world.slug}/api/v2/candidates", json=body, headers=headers)
    problem = assert_problem(response, 400, "validation_failed")
    found = sorted((e["pointer"], e["code"]) for e in problem["errors"])
    assert found == [
        ("/date_of_birth", "required"),
        ("/full_name", "control_character"),
        ("/notes", "invalid_type"),
        ("/notes/1", "control_character"),
        ("/sex", "invalid_choice"),
    ], problem


def test_a_stage_change_the_rules_refuse_gives_each_reason_and_clause_in_both_languages() -> None:
    reasons = [
        Reason(code="age_below_minimum", clause_id="dl.art4", message_vi="Chưa đủ 18 tuổi"),
        Reason(code="education_below_minimum", clause_id=None, message_vi="Chưa tốt nghiệp THCS"),
    ]
    request = RequestFactory().post("/t/x/api/v2/candidates/1/stage")
    answer = domain_error(request, rules_refusal("course_nominee", "not_eligible", reasons))
    problem = msgspec.to_builtins(answer.content)
    assert (answer.status_code, problem["code"]) == (409, "stage_refused")
    assert "Chưa đủ 18 tuổi [dl.art4]; Chưa tốt nghiệp THCS" in problem["detail"]
    assert problem["detail_en"] == (
        "The province's rules refuse the change to `course_nominee` (not_eligible): "
        "age_below_minimum [dl.art4]; education_below_minimum"
    )
    assert problem["reasons"] == [
        {"code": "age_below_minimum", "clause_id": "dl.art4", "message": "Chưa đủ 18 tuổi"},
        {"code": "education_below_minimum", "clause_id": None, "message": "Chưa tốt nghiệp THCS"},
    ]


def test_nested_structs_and_lists_report_every_item_by_pointer() -> None:
    change = {
        "add": [{"candidate_id": "một"}, {"override_justification": 5}],
        "remove": "all",
    }
    found = [(p.pointer, p.code) for p in problems_in(change, ListChange)]
    assert found == [
        ("/add/0/candidate_id", "invalid_type"),
        ("/add/1/candidate_id", "required"),
        ("/add/1/override_justification", "invalid_type"),
        ("/remove", "invalid_type"),
    ]
    too_many = {"version": 1, "introducer_member_ids": list(range(11)), "note": None}
    found = [(p.pointer, p.code) for p in problems_in(too_many, ProposeAdmission)]
    assert found == [("/introducer_member_ids", "too_long"), ("/note", "null_not_allowed")]


def test_vietnamese_messages_say_codes_by_their_vietnamese_labels() -> None:
    (sex,) = problems_in({**_valid_candidate(), "sex": "nam"}, CandidateCreate)
    assert sex.detail == "`sex` chỉ nhận một trong các giá trị: `female` (Nữ), `male` (Nam)."
    assert sex.detail_en == "`sex` must be one of `female`, `male`; got 'nam'."
    assert vietnamese_labels("danh sách ở trạng thái «accepted»") == (
        "danh sách ở trạng thái «đã tiếp nhận»"
    )
    assert split_message("Không tìm thấy / Not found: unit") == (
        "Không tìm thấy",
        "Not found: unit",
    )


def _valid_candidate() -> dict[str, Any]:
    return msgspec.convert(BODY_EXAMPLES["CandidateCreate"], dict[str, Any])


async def test_no_token_unknown_id_and_a_portal_page_each_answer_in_their_own_form(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "problem-kinds")
    base = f"/t/{world.slug}/api/v1"
    anonymous = await client.get(f"{base}/candidates")
    assert assert_problem(anonymous, 401, "unauthenticated")["errors"] == []
    assert anonymous.headers["www-authenticate"] == "Bearer"
    headers = await token_for(client, world.slug, "cell_x_editor")
    missing = await client.get(f"{base}/candidates/999999", headers=headers)
    assert_problem(missing, 404, "not_found")
    unknown_tenant = await client.get("/t/khong-co-tinh-nay/api/v1/candidates", headers=headers)
    assert_problem(unknown_tenant, 404, "not_found")
    page = await client.get("/t/khong-co-tinh-nay/")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


async def test_every_problem_type_resolves_to_its_page(client: AppClient) -> None:
    index = await client.get("/errors")
    assert index.status_code == 200
    for code, kind in PROBLEM_TYPES.items():
        page = await client.get(f"/errors/{code}")
        assert page.status_code == 200, code
        assert kind.title_en in page.text and kind.title in page.text
        assert f'href="/errors/{code}"' in index.text
    assert (await client.get("/errors/khong-co")).status_code == 404


async def test_every_operation_is_documented_for_an_outside_integrator(
    client: AppClient,
) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    assert doc["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert "docs/api.md" in doc["info"]["description"]
    assert "Bearer" in doc["info"]["description"]
    assert "application/problem+json" in doc["info"]["description"]
    lacking = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            for part in ("summary", "description"):
                if not operation.get(part):
                    lacking.append(f"{name}: no {part}")
            if path not in PUBLIC and operation.get("security") != [{"bearerToken": []}]:
                lacking.append(f"{name}: no bearer security")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and not body.get("examples"):
                lacking.append(f"{name}: no request body example")
            for status, answer in operation["responses"].items():
                if int(status) >= 400 and set(answer["content"]) != {"application/problem+json"}:
                    lacking.append(f"{name}: {status} is not a problem")
            statuses = set(operation["responses"])
            if path.startswith("/t/{tenant}/") and not {"400", "404", "410", "503"} <= statuses:
                lacking.append(f"{name}: lists only {sorted(statuses)}")
            if path not in PUBLIC and not {"401", "403"} <= statuses:
                lacking.append(f"{name}: no 401/403")
            write_errors = {"409", "413"} | ({"415"} if "requestBody" in operation else set())
            if method in {"post", "put", "patch"} and not write_errors <= statuses:
                lacking.append(f"{name}: a write without {'/'.join(sorted(write_errors))}")
    assert lacking == [], "\n".join(lacking)
    token = doc["paths"]["/t/{tenant}/api/v2/auth/token"]["post"]
    assert {"401", "429"} <= set(token["responses"])
    export = doc["paths"]["/t/{tenant}/api/v2/lists/{list_id}/export"]["get"]
    assert {XLSX, "text/csv"} <= set(export["responses"]["200"]["content"])


def test_every_request_body_example_is_a_valid_body(client: AppClient) -> None:
    bodies = {
        data.annotation
        for route in client.app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.include_in_schema
        and (data := handler.parsed_fn_signature.parameters.get("data")) is not None
    }
    assert len(bodies) > 15
    for struct in bodies:
        example = BODY_EXAMPLES[struct.__name__]
        assert problems_in(example, struct) == [], struct.__name__
        msgspec.convert(example, struct, strict=False)


def test_a_bare_status_of_another_module_maps_to_its_own_problem_type() -> None:
    assert problem_type_of_status(412).code == "precondition_failed"
    assert problem_type_of_status(428).code == "precondition_required"
    assert problem_type_of_status(404).code == "not_found"


def test_the_errors_guide_lists_every_code_of_the_registry() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert markdown_tables() in guide
    for code in PROBLEM_TYPES:
        assert f"| `{code}` |" in guide


async def test_a_body_with_odd_keys_and_a_refused_value_names_only_what_it_can_say(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "odd-keys")
    headers = await token_for(client, world.slug, "cell_x_editor")
    body = {"": 2**40, "`ï": {"": 1}, "\U00100c9f": "x"}
    response = await client.post(f"/t/{world.slug}/api/v2/candidates", json=body, headers=headers)
    problem = assert_problem(response, 400, "validation_failed")
    assert [e["code"] for e in problem["errors"]] == ["out_of_range"], problem
