"""What every API error body must be: an RFC 9457 problem in Vietnamese and English."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import httpx
import msgspec

from nguon.api.problems import FIELD_CODES, PROBLEM_TYPES

VIETNAMESE = re.compile(r"[À-ỹđĐ]")
_ECHOED = re.compile(r"`[^`]*`|Not found: .*")
"""What English text may quote of the caller's own input (names, values)."""
_ENUM_CODE_IN_QUOTES = re.compile(r"«[a-z]+(?:_[a-z]+)*»")


def problem_faults(response: httpx.Response) -> list[str]:
    """Everything wrong with ``response`` as a problem (empty: it is a good one)."""
    return faults_of(
        response.status_code,
        response.headers.get("content-type", ""),
        response.content,
        response.request.url.path,
    )


def faults_of(status: int, content_type: str, content: bytes, path: str) -> list[str]:
    faults: list[str] = []
    media = content_type.split(";")[0].strip()
    if media != "application/problem+json":
        return [f"content-type {media!r}"]
    body: dict[str, Any] = msgspec.json.decode(content)
    code = body.get("code")
    kind = PROBLEM_TYPES.get(code or "")
    if kind is None:
        return [f"unregistered code {code!r}"]
    if body.get("status") != status:
        faults.append(f"status {body.get('status')} != {status}")
    if kind.status != status:
        faults.append(f"{code} is a {kind.status}, answered {status}")
    if not str(body.get("type", "")).endswith(f"/errors/{code}") or "://" not in body["type"]:
        faults.append(f"type {body.get('type')!r}")
    if body.get("instance") != unquote(path):
        faults.append(f"instance {body.get('instance')!r}")
    for name in ("title", "detail"):
        if not VIETNAMESE.search(str(body.get(name, ""))):
            faults.append(f"{name} not Vietnamese: {body.get(name)!r}")
    for name in ("title_en", "detail_en"):
        text = str(body.get(name, ""))
        for error in body.get("errors", []):
            text = text.replace(str(error.get("field")), "")
        if not text or VIETNAMESE.search(_ECHOED.sub("", text)) or text == body.get("detail"):
            faults.append(f"{name} not English: {text!r}")
    if _ENUM_CODE_IN_QUOTES.search(body.get("detail", "")):
        faults.append(f"an English code in «» in Vietnamese: {body['detail']!r}")
    if "request_id" not in body:
        faults.append("no request_id")
    for error in body.get("errors", []):
        if error.get("code") not in FIELD_CODES and error.get("code") not in PROBLEM_TYPES:
            faults.append(f"unregistered field code {error.get('code')!r}")
        if ("pointer" in error) == ("parameter" in error):
            faults.append(f"a field problem needs a pointer or a parameter: {error}")
        if not VIETNAMESE.search(error.get("detail", "")) or not error.get("detail_en"):
            faults.append(f"field problem not in both languages: {error}")
        if "Expected `" in error.get("detail_en", "") or "regex" in error.get("detail_en", ""):
            faults.append(f"raw msgspec text: {error}")
        if error.get("field") == "tenant":
            faults.append("a `tenant` field problem")
    return faults


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    faults = problem_faults(response)
    assert faults == [], faults
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


def fields_of(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]
