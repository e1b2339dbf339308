"""Every bad input on every route that takes it, generated from the route table and the
OpenAPI document (a route added tomorrow is attacked tomorrow): integers past int32 in
the path and the query, NUL, control characters and right-to-left overrides in every
string, JSON nested too deep, bodies too large, JSON sent as text/plain. Every answer is
a 4xx — the documented one, naming the field, an RFC 9457 problem in Vietnamese and
English for the API — and nothing changes in the database."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import msgspec
import pytest
from litestar.enums import ParamType
from litestar.exceptions import HTTPException
from litestar.params import ParameterKwarg
from litestar.routes import HTTPRoute

from nguon.accounts.tables import User
from nguon.api.edge import MAX_BODY, MAX_UPLOAD, Expected, check_body
from nguon.audit.tables import AuditEvent
from nguon.org.tables import Membership, OrgUnit
from nguon.people.tables import Candidate, Member
from nguon.pipeline.tables import (
    AdmissionPlan,
    CandidateDecision,
    CandidateList,
    Course,
    CourseEnrolment,
    HelperAssignment,
    ListEntry,
    ListTransition,
    Resolution,
    StageChange,
)
from nguon.plugin_admin.tables import TenantPlugin
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import Database
from tests.http.conftest import AppClient, build_world, csrf_token_in, portal_login, token_for
from tests.problems import problem_faults
from tests.security.test_isolation import _seed_people, _seed_pipeline

TOO_BIG = ("2147483648", "-2147483649", "9223372036854775807")
BAD_TEXT = ("Nguyễn\x00Văn", "Trần\x1b[31m", "Lê\u202eTxt.exe", "Phạm\x7f")
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
TABLES = (
    Tenant,
    User,
    OrgUnit,
    Membership,
    Candidate,
    Member,
    CandidateList,
    ListEntry,
    Resolution,
    ListTransition,
    CandidateDecision,
    Course,
    CourseEnrolment,
    HelperAssignment,
    AdmissionPlan,
    StageChange,
    TenantPlugin,
    AuditEvent,
)


class Attack(msgspec.Struct, kw_only=True):
    method: str
    path: str
    field: str | None
    expect: int
    query: str = ""
    body: bytes | None = None
    content_type: str = "application/json"

    def label(self) -> str:
        return f"{self.method} {self.path}?{self.query} [{self.field}]"


async def _digest(db: Database, tenant_id: int) -> str:
    """Every row of every table the attacked tenant has, as one digest."""
    rows = []
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(tenant_id)
            for table in TABLES:
                found = await table.select().order_by(table._meta.primary_key)
                rows.append((table._meta.tablename, repr(found)))
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _fill(template: str, slug: str, ids: dict[str, Any], swap: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in swap:
            return swap[name]
        if name == "tenant":
            return slug
        if name == "plugin_name":
            return "webhooks"
        return str(ids[name])

    return _PARAM.sub(value, template)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _string_fields(
    schema: dict[str, Any], components: dict[str, Any], path: str = ""
) -> Iterator[tuple[str, Any]]:
    """(field path, a JSON value holding BAD at that path) for every string in a schema."""
    schema = _resolve(schema, components)
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from _string_fields(option, components, path)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds and path:
        yield path, "BAD"
    if "object" in kinds or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            for inner, value in _string_fields(sub, components, f"{path}.{name}" if path else name):
                yield inner, {name: value}
    if "array" in kinds and "items" in schema:
        for inner, value in _string_fields(schema["items"], components, f"{path}[0]"):
            yield inner, [value]


def _with(value: Any, bad: str) -> Any:
    if value == "BAD":
        return bad
    if isinstance(value, dict):
        return {k: _with(v, bad) for k, v in value.items()}
    return [_with(v, bad) for v in value]


def _types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, components)
    kind = schema.get("type")
    found = set(kind if isinstance(kind, list) else [kind] if kind else [])
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        found |= _types(option, components)
    return found


def _api_attacks(doc: dict[str, Any], slug: str, ids: dict[str, Any]) -> Iterator[Attack]:
    components = doc.get("components", {}).get("schemas", {})
    for template, operations in doc["paths"].items():
        if not template.startswith("/t/{tenant}/"):
            continue
        for method, operation in operations.items():
            method = method.upper()
            params = operation.get("parameters", [])
            for param in params:
                schema = _resolve(param.get("schema", {}), components)
                types = _types(schema, components)
                name, where = param["name"], param["in"]
                if where == "path" and "integer" in types:
                    for big in TOO_BIG:
                        path = _fill(template, slug, ids, {name: big})
                        yield Attack(method=method, path=path, field=name, expect=400)
                if where == "query" and "integer" in types:
                    for big in TOO_BIG:
                        path = _fill(template, slug, ids, {})
                        yield Attack(
                            method=method, path=path, query=f"{name}={big}", field=name, expect=400
                        )
                if where == "query" and "string" in types:
                    for bad in BAD_TEXT:
                        yield Attack(
                            method=method,
                            path=_fill(template, slug, ids, {}),
                            query=f"{name}={quote(bad)}",
                            field=name,
                            expect=400,
                        )
                if where == "path" and "string" in types and name != "tenant":
                    for bad in BAD_TEXT:
                        path = _fill(template, slug, ids, {name: quote(bad, safe="")})
                        yield Attack(method=method, path=path, field=name, expect=400)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            path = _fill(template, slug, ids, {})
            for field, value in _string_fields(body["schema"], components):
                for bad in BAD_TEXT:
                    payload = msgspec.json.encode(_with(value, bad))
                    yield Attack(method=method, path=path, field=field, expect=400, body=payload)
            deep = b"[" * 1000 + b"]" * 1000
            yield Attack(
                method=method, path=path, field="body", expect=400, body=b'{"a":' + deep + b"}"
            )
            yield Attack(
                method=method,
                path=path,
                field=None,
                expect=413,
                body=b'"' + b"x" * 1_100_000 + b'"',
            )
            yield Attack(
                method=method,
                path=path,
                field=None,
                expect=415,
                body=b"{}",
                content_type="text/plain",
            )


def _portal_attacks(client: AppClient, slug: str, ids: dict[str, Any]) -> Iterator[Attack]:
    """The portal's routes (not in the OpenAPI document), from the route table."""
    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/t/{tenant:str}/"):
            continue
        if "/api/" in route.path:
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                in_path = set(_PARAM.findall(route.path)) - {"tenant"}
                for name in in_path:
                    if f"{{{name}:int}}" in route.path:
                        for big in TOO_BIG:
                            path = _fill(route.path, slug, ids, {name: big})
                            yield Attack(method=method, path=path, field=name, expect=400)
                path = _fill(route.path, slug, ids, {})
                for name, field in handler.parsed_fn_signature.parameters.items():
                    kwarg = field.kwarg_definition
                    is_query = (
                        isinstance(kwarg, ParameterKwarg) and kwarg.param_type == ParamType.QUERY
                    ) or (kwarg is None and name not in in_path and field.annotation in (int, str))
                    if not is_query or name in {"request", "access", "data", "state"}:
                        continue
                    query_name = (kwarg.name if isinstance(kwarg, ParameterKwarg) else None) or name
                    is_int = field.is_subclass_of(int) or any(
                        t.is_subclass_of(int) for t in field.inner_types
                    )
                    values = TOO_BIG if is_int else tuple(quote(b) for b in BAD_TEXT)
                    for value in values:
                        yield Attack(
                            method=method,
                            path=path,
                            query=f"{query_name}={value}",
                            field=query_name,
                            expect=400,
                        )
                if method == "POST":
                    for bad in BAD_TEXT:
                        yield Attack(
                            method=method,
                            path=path,
                            field="full_name",
                            expect=400,
                            body=f"full_name={quote(bad)}&reason={quote(bad)}".encode(),
                            content_type="application/x-www-form-urlencoded",
                        )


async def test_every_bad_input_on_every_route_is_a_4xx_naming_the_field_and_changes_nothing(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "bad-input")
    ids = await _seed_pipeline(db, client, world, await _seed_people(client, world, "Lê Văn Minh"))
    ids = {**ids, "plugin_name": "webhooks"}
    headers = await token_for(client, world.slug, "admin")
    await portal_login(client, world.slug, "admin")
    page = await client.get(f"/t/{world.slug}/units/{world.units['cell_x']}")
    headers["x-csrftoken"] = csrf_token_in(page.text)
    doc = (await client.get("/schema/openapi.json")).json()
    attacks = [*_api_attacks(doc, world.slug, ids), *_portal_attacks(client, world.slug, ids)]
    print(f"\n[bad input] {len(attacks)} attacks on {len({a.path for a in attacks})} paths")
    assert len(attacks) > 500
    assert {a.expect for a in attacks} == {400, 413, 415}

    before = await _digest(db, world.tenant_id)
    wrong = []
    problems = 0
    for attack in attacks:
        response = await client.request(
            attack.method,
            attack.path + (f"?{attack.query}" if attack.query else ""),
            content=attack.body,
            headers={**headers, "content-type": attack.content_type} if attack.body else headers,
        )
        if response.status_code != attack.expect:
            wrong.append(f"{attack.label()}: {response.status_code} {response.text[:200]}")
            continue
        if "/api/" not in attack.path:
            continue
        faults = problem_faults(response)
        if faults:
            wrong.append(f"{attack.label()}: not a problem in vi and en: {faults}")
            continue
        problems += 1
        if attack.field is not None:
            # The attack's body holds only the attacked field: besides it, the answer may
            # only name the other fields the operation requires (every problem at once).
            errors = response.json()["errors"]
            fields = [e["field"] for e in errors]
            others = [e["code"] for e in errors[1:]]
            if fields[:1] != [attack.field] or set(others) - {"required"}:
                wrong.append(f"{attack.label()}: errors name {fields}")
    assert wrong == [], f"{len(wrong)} of {len(attacks)} attacks:\n" + "\n".join(wrong[:40])
    assert problems > 400
    assert await _digest(db, world.tenant_id) == before


def test_file_uploads_may_be_larger_than_other_bodies_but_are_bounded_too() -> None:
    upload = {"headers": [(b"content-type", b"multipart/form-data; boundary=x")]}
    json_body = {"headers": [(b"content-type", b"application/json")]}
    nothing = Expected(int_queries=frozenset(), body=None)
    check_body(b"x" * (MAX_BODY * 2), upload, nothing)
    for scope, size in ((upload, MAX_UPLOAD + 1), (json_body, MAX_BODY + 1)):
        with pytest.raises(HTTPException) as refused:
            check_body(b"x" * size, scope, nothing)
        assert refused.value.status_code == 413
