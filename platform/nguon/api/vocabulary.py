"""The API's one vocabulary, mapped at the boundary.

The stored values (a candidate's stage ``surveyed``, a list's step ``course_nominees``,
the review calendar's kind ``survey``), the rules packages and the portal keep their names;
``/api/v2`` speaks the glossary of ``docs/api.md``. One table maps between the two and is
applied in one place each: v2 requests before validation, v2 answers after the handler,
and the OpenAPI document. ``/api/v1`` is the service untranslated (deprecated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nguon.errors import InvalidInput

STAGE = {"surveyed": "survey"}
STEP = {"course_nominees": "course_nominee", "admission_sources": "admission_source"}
PERIOD_KIND = {"survey": "annual"}

VALUE_RENAMES: dict[str, dict[str, str]] = {
    "stage": STAGE,
    "from_stage": STAGE,
    "to_stage": STAGE,
    "candidate_stage": STAGE,
    "key": STAGE,  # a figure's definition: the figure of a stage is keyed by the stage
    "step": STEP,
    "kind": PERIOD_KIND,
}
"""Stored value -> v2 value, for the fields (and query parameters) with these names."""

KEY_RENAMES: dict[str, str] = {
    "for_year": "course_year",
    "organiser_unit_id": "unit_id",
    "candidate_version": "version",
}
"""Stored field name -> v2 field name; each old name is used by one concept only."""

REQUEST_KEY_RENAMES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/courses"): {"unit_id": "organiser_unit_id"},
    ("POST", "/helpers"): {"version": "candidate_version"},
}
"""v2 name -> stored name in one operation's request body (by method and path below the
version prefix): the v2 names are shared, so the way back depends on the operation."""

REQUEST_VALUE_FIELDS = ("step", "stage", "to_stage")
"""The request fields and query parameters whose values are mapped back to stored ones."""

MESSAGE_FIELDS = frozenset({"message", "detail", "detail_en"})
"""The answers' free text that may name a field or a value: error messages (never a
user's own text, such as a course's title)."""

_OLD_WORDS = {**KEY_RENAMES, **STAGE, **STEP}
_OLD_WORD = re.compile(r"\b(" + "|".join(map(re.escape, _OLD_WORDS)) + r")\b")


def old_name(pointer: str, old: str, new: str, *, key: bool = False) -> InvalidInput:
    """The 400 for a v1 name sent to v2: it names the field and the v2 word."""
    field = pointer.strip("/").replace("/", ".") or old
    return InvalidInput(
        f"`{old}` là tên cũ của API v1; API v2 dùng `{new}` / "
        f"`{old}` is the v1 name; v2 says `{new}`",
        field=field,
        code="validation_failed",
        field_code="unknown_field" if key else "invalid_choice",
    )


def stored_value(field: str, value: str, pointer: str = "") -> str:
    """The stored value of a v2 enum value for ``field`` (unchanged when not renamed);
    an old value that v2 renamed is refused."""
    renames = VALUE_RENAMES.get(field, {})
    for stored, new in renames.items():
        if new == value:
            return stored
    if value in renames and value not in renames.values():
        raise old_name(pointer or field, value, renames[value])
    return value


def v2_value(field: str, value: str) -> str:
    return VALUE_RENAMES.get(field, {}).get(value, value)


_ECHOED = re.compile(r"((?<!\w)'[^'\n]*'(?!\w))")
"""A value quoted as the caller sent it (``got 'surveyed'``): never renamed."""


def v2_text(text: str) -> str:
    """Free text with the old field names and values replaced by the v2 ones, except in
    what it quotes of the caller's own input."""
    return "".join(
        part if _ECHOED.fullmatch(part) else _OLD_WORD.sub(lambda m: _OLD_WORDS[m.group(1)], part)
        for part in _ECHOED.split(text)
    )


_OLD_TOKENS = tuple(
    word.encode() for word in {*_OLD_WORDS, *(f'"{v}"' for m in VALUE_RENAMES.values() for v in m)}
)


def needs_v2(body: bytes) -> bool:
    """Whether a JSON answer names anything v2 renamed (most answers do not)."""
    return any(token in body for token in _OLD_TOKENS)


def _pointer(pointer: str) -> str:
    return "/".join(KEY_RENAMES.get(part, part) for part in pointer.split("/"))


def to_v2(value: Any, field: str = "") -> Any:
    """A JSON answer in the stored vocabulary, rewritten in the v2 one."""
    if isinstance(value, dict):
        return {KEY_RENAMES.get(k, k): to_v2(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [to_v2(item, field) for item in value]
    if isinstance(value, str):
        if field in VALUE_RENAMES:
            return v2_value(field, value)
        if field == "field":
            return KEY_RENAMES.get(value, value)
        if field == "pointer":
            return _pointer(value)
        if field in MESSAGE_FIELDS:
            return v2_text(value)
    return value


def _request_values(value: Any, field: str = "", pointer: str = "") -> Any:
    if isinstance(value, dict):
        for key in value:
            if key in KEY_RENAMES:
                raise old_name(f"{pointer}/{key}", key, KEY_RENAMES[key], key=True)
        return {k: _request_values(v, k, f"{pointer}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_request_values(item, field, f"{pointer}/{i}") for i, item in enumerate(value)]
    if isinstance(value, str) and field in REQUEST_VALUE_FIELDS:
        return stored_value(field, value, pointer)
    return value


def from_v2_request(body: Any, method: str, path: str) -> Any:
    """A v2 request body (``path`` below the version prefix) in the stored vocabulary;
    a v1 name in it is refused with a 400 naming the field."""
    if method == "PUT" and path.startswith("/plans/") and isinstance(body, dict):
        for key in V1_PLAN_TARGETS:
            if key in body:
                raise old_name(f"/{key}", key, f"targets.{key.removeprefix('target_')}", key=True)
    stored = _request_values(body)
    renames = REQUEST_KEY_RENAMES.get((method, path.rstrip("/") or "/"), {})
    if isinstance(stored, dict) and renames:
        stored = {renames.get(k, k): v for k, v in stored.items()}
    return stored


V1_PLAN_TARGETS = ("target_year", "target_q1", "target_q2", "target_q3", "target_q4")


def from_v1_request(body: Any, method: str, path: str) -> Any:
    """A v1 request body (``path`` below the version prefix) in today's shape: a plan's
    flat ``target_year`` … ``target_q4`` go under ``targets`` as ``year`` … ``q4``."""
    if method != "PUT" or not path.startswith("/plans/") or not isinstance(body, dict):
        return body
    flat = {key: body[key] for key in V1_PLAN_TARGETS if key in body}
    if not flat or "targets" in body:
        return body
    rest = {key: value for key, value in body.items() if key not in flat}
    return {**rest, "targets": {key.removeprefix("target_"): v for key, v in flat.items()}}


def from_v2_query(params: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {
        name: [stored_value(name, v) if name in REQUEST_VALUE_FIELDS else v for v in values]
        for name, values in params.items()
    }


def openapi_v2(node: Any, field: str = "") -> Any:
    """The OpenAPI document (or a part of it) with its field names, enum values, examples
    and descriptions in the v2 vocabulary. ``field``: the property or parameter the
    schema being walked describes."""
    if isinstance(node, list):
        return [openapi_v2(item, field) for item in node]
    if not isinstance(node, dict):
        return node
    if "in" in node and isinstance(node.get("name"), str):
        field = node["name"]  # a parameter: its schema describes the parameter's values
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {KEY_RENAMES.get(k, k): openapi_v2(v, k) for k, v in value.items()}
        elif key == "required" and isinstance(value, list):
            out[key] = [KEY_RENAMES.get(k, k) if isinstance(k, str) else k for k in value]
        elif key in {"enum", "const"} and field in VALUE_RENAMES:
            out[key] = to_v2(value, field)
        elif key in {"example", "examples"}:
            out[key] = to_v2(value) if key == "example" else _examples_v2(value, field)
        elif key in {"description", "summary"} and isinstance(value, str):
            out[key] = v2_text(value)
        else:
            out[key] = openapi_v2(value, field)
    return out


def _examples_v2(examples: Any, field: str) -> Any:
    if isinstance(examples, dict):  # named Example objects: {"name": {"value": ...}}
        return {
            name: {**example, "value": to_v2(example["value"], field)}
            if isinstance(example, dict) and "value" in example
            else to_v2(example, field)
            for name, example in examples.items()
        }
    return to_v2(examples, field)
