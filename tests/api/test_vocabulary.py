"""One name for one concept: the glossary of ``docs/api.md`` against the OpenAPI document,
and the deprecated v1 against v2 on the same data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from nguon.api.vocabulary import from_v2_request, openapi_v2, to_v2, v2_text
from nguon.errors import InvalidInput
from tests.conftest import Database
from tests.http.conftest import AppClient, build_today_world, token_for
from tests.portal.servers import ROOT

GUIDE = ROOT / "docs" / "api.md"
CODE = re.compile(r"`([^`]+)`")


class Glossary:
    """The glossary table: each concept's one word and its old names."""

    def __init__(self, text: str) -> None:
        section = text.split("## Glossary", 1)[1].split("\n## ", 1)[0]
        rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
        self.words: list[str] = []
        self.old: list[str] = []
        for row in rows:
            _, word, old = (cell.strip() for cell in row.strip("|").split("|"))
            self.words += CODE.findall(word)
            self.old += CODE.findall(old)


def glossary() -> Glossary:
    return Glossary(GUIDE.read_text(encoding="utf-8"))


def names_in(node: Any, field: str = "") -> Iterator[tuple[str, str]]:
    """Every name the document gives a caller: ("name", property or parameter name),
    ("value", "field=value") for enum values, ("path", segment)."""
    if isinstance(node, list):
        for item in node:
            yield from names_in(item, field)
        return
    if not isinstance(node, dict):
        return
    if "in" in node and isinstance(node.get("name"), str):
        field = node["name"]
        yield "name", field
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for name, schema in value.items():
                yield "name", name
                yield from names_in(schema, name)
        elif key == "enum" and isinstance(value, list):
            for item in value:
                yield "value", f"{field}={item}"
        elif key not in {"description", "summary", "example", "examples"}:
            yield from names_in(value, field)


def document_names(doc: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for kind, name in names_in(doc):
        found.add(name)
        if kind == "value":
            found.add(name.split("=", 1)[1])
    for path in doc["paths"]:
        found |= {part for part in re.split(r"[/{}:]", path) if part}
    return found


def test_the_glossary_lists_each_concept_with_its_old_names() -> None:
    table = glossary()
    assert {"survey", "course_nominee", "admission_source", "course_year", "unit_id"} <= set(
        table.words
    )
    assert {"surveyed", "course_nominees", "admission_sources", "for_year"} <= set(table.old)
    assert not set(table.words) & set(table.old)


def test_a_forbidden_name_is_found_by_the_check() -> None:
    """The check sees field names, enum values of a field, and path segments."""
    doc = {
        "paths": {"/t/{tenant:str}/api/v2/course_nominees": {}},
        "components": {
            "schemas": {
                "P": {
                    "properties": {
                        "for_year": {"type": "integer"},
                        "kind": {"type": "string", "enum": ["survey", "supplement"]},
                    }
                }
            }
        },
    }
    names = document_names(doc)
    assert {"for_year", "kind=survey", "course_nominees"} <= names
    translated = document_names(openapi_v2(doc))
    assert "for_year" not in translated and "course_year" in translated
    assert "kind=survey" not in translated and "kind=annual" in translated


async def test_the_openapi_document_uses_one_name_per_concept(client: AppClient) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    names = document_names(doc)
    table = glossary()
    used_old = sorted(set(table.old) & names)
    assert not used_old, f"old names in the v2 document: {used_old}"
    missing = sorted(set(table.words) - names)
    assert not missing, f"glossary words the document does not use: {missing}"
    assert doc["components"]["schemas"]["ListCreate"]["properties"]["step"]["enum"] == [
        "survey",
        "course_nominee",
        "admission_source",
    ]
    assert all("/api/v2/" in path for path in doc["paths"] if "/api/" in path)


def test_the_boundary_mapping_goes_both_ways() -> None:
    answer = {
        "list": {"step": "course_nominees", "unit_id": 4},
        "items": [{"stage": "surveyed", "kind": "survey", "for_year": 2027}],
        "errors": [{"field": "organiser_unit_id", "message": "Unknown unit: organiser_unit_id"}],
    }
    assert to_v2(answer) == {
        "list": {"step": "course_nominee", "unit_id": 4},
        "items": [{"stage": "survey", "kind": "annual", "course_year": 2027}],
        "errors": [{"field": "unit_id", "message": "Unknown unit: unit_id"}],
    }
    assert from_v2_request({"unit_id": 3, "title": "x"}, "POST", "/courses") == {
        "organiser_unit_id": 3,
        "title": "x",
    }
    # The same field elsewhere is the unit's own.
    assert from_v2_request({"unit_id": 3, "step": "admission_source"}, "POST", "/lists") == {
        "unit_id": 3,
        "step": "admission_sources",
    }
    assert from_v2_request({"version": 2}, "POST", "/helpers") == {"candidate_version": 2}
    with pytest.raises(InvalidInput) as refused:
        from_v2_request({"items": [{"step": "admission_sources"}]}, "POST", "/lists")
    assert refused.value.field == "items.0.step"


def test_a_value_echoed_from_the_request_is_quoted_as_sent() -> None:
    message = "`from_stage` must be one of `surveyed`, `course_nominee`; got 'surveyed'"
    assert v2_text(message) == (
        "`from_stage` must be one of `survey`, `course_nominee`; got 'surveyed'"
    )
    assert v2_text("`for_year` 'for_year' for_year") == "`course_year` 'for_year' course_year"
    assert v2_text("the province's surveyed people's list") == (
        "the province's survey people's list"
    )


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_v1_answers_the_old_names_and_says_it_is_deprecated(
    db: Database, client: AppClient
) -> None:
    world = await build_today_world(db, "vocab")
    headers = await token_for(client, world.slug, "cell_x_editor")
    cell = world.units["cell_x"]
    person = {
        "unit_id": cell,
        "full_name": "Nguyễn Thị Lan",
        "date_of_birth": "2002-03-14",
        "sex": "female",
        "education": "university",
        "political_standard": "passed",
    }
    made = await client.post(f"/t/{world.slug}/api/v2/candidates", json=person, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["stage"] == "survey"
    assert "deprecation" not in made.headers

    old = await client.get(
        f"/t/{world.slug}/api/v1/candidates/{made.json()['id']}", headers=headers
    )
    assert old.json()["stage"] == "surveyed"
    assert old.headers["deprecation"] == "@1796169600"
    assert old.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert old.headers["link"] == (
        f'</t/{world.slug}/api/v2/candidates/{made.json()["id"]}>; rel="successor-version"'
    )

    v1 = (await client.get(f"/t/{world.slug}/api/v1/periods?year=2026", headers=headers)).json()
    v2 = (await client.get(f"/t/{world.slug}/api/v2/periods?year=2026", headers=headers)).json()
    assert v1["items"][-1] | {"kind": "survey"} == v1["items"][-1]
    assert v2["items"][-1]["kind"] == "annual" and v2["items"][-1]["course_year"] == 2027
    assert "for_year" not in v2["items"][-1]

    # A v2 list of step 2 is the v1 list of `course_nominees`, and filters either way.
    v2_lists = await client.get(
        f"/t/{world.slug}/api/v2/lists?step=course_nominee&unit_id={cell}", headers=headers
    )
    v1_lists = await client.get(
        f"/t/{world.slug}/api/v1/lists?step=course_nominees&unit_id={cell}", headers=headers
    )
    assert v2_lists.status_code == v1_lists.status_code == 200
    refused = await client.get(
        f"/t/{world.slug}/api/v2/lists?step=course_nominees", headers=headers
    )
    assert refused.status_code == 400, "v2 does not take the old value"
    assert "`course_nominees` is the v1 name; v2 says `course_nominee`" in refused.text
    old_field = await client.post(
        f"/t/{world.slug}/api/v2/helpers",
        json={"candidate_id": 1, "member_id": 1, "candidate_version": 1},
        headers=headers,
    )
    assert old_field.status_code == 400
    assert "`candidate_version` is the v1 name; v2 says `version`" in old_field.text
