"""A package file that cannot be read, said as its author can act on it: the line and
column of a TOML syntax error; for a key or a value the format does not have, the key's
own line, the keys or values allowed there and the closest one ("did you mean …?")."""

from __future__ import annotations

import difflib
import re
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import msgspec

from nguon.rules.locations import item_line

_SYNTAX = re.compile(r"^(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_STEP = re.compile(r"\.(?P<key>[A-Za-z_][A-Za-z0-9_]*)|\[(?P<index>\d+)\]")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]+)`")
_ENUM = re.compile(r"^Invalid enum value (?P<value>.+)$")


def syntax_problem(file: str, error: msgspec.DecodeError) -> str:
    """``rules.toml:2:7: TOML syntax: Invalid value``."""
    found = _SYNTAX.match(str(error))
    if found is None:
        return f"{file}: TOML syntax: {error}"
    where = f"{file}:{found['line']}:{found['column']}"
    return f"{where}: TOML syntax: {found['message']}"


def validation_problem(
    folder: Path, file: str, kind: type, error: msgspec.ValidationError
) -> tuple[str, tuple[str, int] | None]:
    """``(problem, (table, index))`` for a value of ``file`` that does not fit ``kind``."""
    text = str(error)
    located = _PATH.search(text)
    steps: list[str | int] = []
    if located:
        for step in _STEP.finditer(located["path"]):
            steps.append(step["key"] if step["key"] else int(step["index"]))
        text = text[: located.start()]
    at = (
        (steps[0], steps[1])
        if len(steps) >= 2 and isinstance(steps[0], str) and isinstance(steps[1], int)
        else None
    )
    item = f"{at[0]} #{at[1] + 1}" if at else "file"
    header = item_line(folder / file, *at) if at else None
    unknown = _UNKNOWN.match(text)
    if unknown:
        key = unknown["key"]
        allowed = _keys(_type_at(kind, steps))
        line = _key_line(folder / file, header, key) or header
        if at is None and not steps:
            line, item = _top_level_line(folder / file, key), "top level"
        return _said(file, line, item, f"unknown key `{key}`{_closest(key, allowed)}"), at
    enum = _ENUM.match(text)
    if enum and steps and isinstance(steps[-1], str):
        allowed = _values(_type_at(kind, steps))
        value = enum["value"].strip("'\"")
        line = _key_line(folder / file, header, steps[-1]) or header
        known = f" (allowed: {', '.join(allowed)})" if allowed else ""
        message = f"`{steps[-1]}` cannot be {enum['value']}{known}{_closest(value, allowed)}"
        return _said(file, line, item, message), at
    key = next((step for step in reversed(steps) if isinstance(step, str)), None)
    line = _key_line(folder / file, header, key) if key and at else None
    return _said(file, line or header, item, text), at


def key_hint(kind: type, path: str, key: str) -> str:
    """``; did you mean `expect`?`` for an unknown ``key`` at msgspec ``path`` (``$.cases[0]``)
    of ``kind``, or "" when no allowed key is close."""
    steps: list[str | int] = [
        step["key"] if step["key"] else int(step["index"]) for step in _STEP.finditer(path)
    ]
    return _closest(key, _keys(_type_at(kind, steps)))


def _said(file: str, line: int | None, item: str, message: str) -> str:
    return f"{file}:{line}: {item}: {message}" if line else f"{file}: {item}: {message}"


def _closest(word: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _unwrapped(kind: Any) -> Any:
    """The struct, list or literal inside ``X | None`` (None dropped)."""
    if get_origin(kind) in (Union, types.UnionType):
        members = [arg for arg in get_args(kind) if arg is not type(None)]
        if len(members) == 1:
            return _unwrapped(members[0])
    return kind


def _type_at(kind: Any, steps: list[str | int]) -> Any:
    current = kind
    for step in steps:
        current = _unwrapped(current)
        if isinstance(step, int):
            args = get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, msgspec.Struct):
            fields = {field.encode_name: field.type for field in msgspec.structs.fields(current)}
            current = fields.get(step)
        else:
            return None
    return _unwrapped(current)


def _keys(kind: Any) -> list[str]:
    kind = _unwrapped(kind)
    if get_origin(kind) in (list, tuple):
        kind = _unwrapped(get_args(kind)[0])
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return [field.encode_name for field in msgspec.structs.fields(kind)]
    return []


def _values(kind: Any) -> list[str]:
    kind = _unwrapped(kind)
    if get_origin(kind) is Literal:
        return [str(value) for value in get_args(kind)]
    return []


def _top_level_line(path: Path, key: str) -> int | None:
    """The line of a top-level ``key = …`` (before the first table) or of a ``[[key]]`` or
    ``[key]`` table."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    table = re.compile(rf"^\s*\[\[?\s*{re.escape(key)}\s*\]\]?")
    value = re.compile(rf"^\s*{re.escape(key)}\s*=")
    in_tables = False
    for number, line in enumerate(lines, start=1):
        if table.match(line):
            return number
        if re.match(r"\s*\[", line):
            in_tables = True
        elif not in_tables and value.match(line):
            return number
    return None


def _key_line(path: Path, header: int | None, key: str) -> int | None:
    """The line of ``key = …`` in the item starting at ``header`` (up to the next header)."""
    if header is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=|[{{,]\s*{re.escape(key)}\s*=")
    for number in range(header, len(lines)):
        line = lines[number]
        if re.match(r"\s*\[\[?\s*[A-Za-z]", line):
            return None
        if pattern.search(line):
            return number + 1
    return None
