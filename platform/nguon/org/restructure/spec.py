"""The restructuring file: what it says, where each thing was written, and reading it.

A restructuring file (TOML, or XLSX with the same rows: :mod:`.xlsx`) describes a change of a
tenant's tree on one date: units opened, moved, renamed, merged and closed. Reading checks
the file's shape only (keys, types, codes); :mod:`.plan` checks it against the database.
Every problem names where it was written: ``FILE:LINE`` (TOML) or ``FILE:SHEET:ROW`` (XLSX).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from nguon.org.unit_specs import CODE_PATTERN
from nguon.text import nfc

ACTIONS = ("open", "move", "rename", "merge", "close")


class Origin(msgspec.Struct, frozen=True, kw_only=True):
    """Where something was written: a TOML line, or an XLSX sheet and row."""

    file: str
    line: int | None = None
    sheet: str | None = None
    fields: dict[str, int] = {}
    """The line (or row) of each key: more precise than the table's line."""

    def at(self, field: str | None = None) -> str:
        line = self.fields.get(field, self.line) if field is not None else self.line
        if self.sheet is not None:
            return f"{self.file}:{self.sheet}:{line}"
        return self.file if line is None else f"{self.file}:{line}"

    def problem(self, message: str, *, code: str | None = None, field: str | None = None) -> str:
        """One problem on one line: ``FILE:LINE: code X: message``."""
        where = self.at(field)
        return f"{where}: code {code}: {message}" if code else f"{where}: {message}"


class OpenUnit(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    kind: str
    parent: str
    bloc: str | None = None
    origin: Origin


class MoveUnit(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    parent: str
    new_code: str | None = None
    name: str | None = None
    kind: str | None = None
    bloc: str | None = None
    origin: Origin


class RenameUnit(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    new_code: str | None = None
    origin: Origin


class MergeUnits(msgspec.Struct, frozen=True, kw_only=True):
    codes: list[str]
    into: str
    origin: Origin
    code_origins: list[Origin]
    """Where each merged code was written (its line, or its row in XLSX)."""


class CloseUnit(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    origin: Origin


class RestructuringFile(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    effective_on: dt.date
    reference: str
    source: str
    """The file as it was named (problems start with it)."""
    digest: str
    """sha256 of the file's bytes: the same file is applied once."""
    origin: Origin
    """The file's header: ``tenant``, ``effective_on`` and ``reference`` lines."""
    opens: list[OpenUnit] = []
    moves: list[MoveUnit] = []
    renames: list[RenameUnit] = []
    merges: list[MergeUnits] = []
    closes: list[CloseUnit] = []

    def counts(self) -> dict[str, int]:
        return {
            "open": len(self.opens),
            "move": len(self.moves),
            "rename": len(self.renames),
            "merge": len(self.merges),
            "close": len(self.closes),
        }


class RestructuringFileError(Exception):
    """The file cannot be read; ``problems`` names every bad line (or sheet row)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the restructuring file")
        self.problems = problems


def load_restructuring(path: Path) -> RestructuringFile:
    """Read a restructuring file (.toml or .xlsx); :class:`RestructuringFileError` if it
    cannot be read, with every problem located."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        problem = f"{source}: cannot read the file: {error.strerror}"
        raise RestructuringFileError([problem]) from None
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return parse_toml(data, source, digest)
    if suffix in {".xlsx", ".xlsm"}:
        from nguon.org.restructure.xlsx import parse_xlsx

        return parse_xlsx(path, source, digest)
    raise RestructuringFileError([f"{source}: use a .toml or .xlsx restructuring file"])


# --- TOML ------------------------------------------------------------------------------

_TABLE_ARRAY = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_DECODE_LINE = re.compile(r"\(at line (\d+), column \d+\)")

FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # action: (required keys, optional keys)
    "open": (("code", "name", "kind", "parent"), ("bloc",)),
    "move": (("code", "parent"), ("new_code", "name", "kind", "bloc")),
    "rename": (("code", "name"), ("new_code",)),
    "merge": (("codes", "into"), ()),
    "close": (("code",), ()),
}
HEADER_KEYS = ("tenant", "effective_on", "reference")


class _Lines(msgspec.Struct):
    """Line numbers of a TOML file's keys: the header's, and each ``[[action]]`` table's."""

    header: dict[str, int]
    tables: dict[str, list[tuple[int, dict[str, int]]]]
    text_lines: list[str]


def _scan_lines(text: str) -> _Lines:
    header: dict[str, int] = {}
    tables: dict[str, list[tuple[int, dict[str, int]]]] = {}
    current: dict[str, int] | None = header
    in_multiline: str | None = None
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        match = _TABLE_ARRAY.match(line)
        if match:
            current = {}
            tables.setdefault(match.group(1), []).append((number, current))
            continue
        if _TABLE.match(line):
            current = None
            continue
        match = _KEY.match(line)
        if match and current is not None:
            current.setdefault(match.group(1), number)
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2 == 1:
                in_multiline = quotes
                break
    return _Lines(header=header, tables=tables, text_lines=lines)


def parse_toml(data: bytes, source: str, digest: str) -> RestructuringFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RestructuringFileError(
            [f"{source}: not UTF-8 text (byte {error.start}): save the file as UTF-8"]
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = _DECODE_LINE.search(str(error))
        where = f"{source}:{match.group(1)}" if match else source
        message = _DECODE_LINE.sub("", str(error)).strip()
        raise RestructuringFileError([f"{where}: not valid TOML: {message}"]) from None
    lines = _scan_lines(text)
    problems: list[str] = []
    header_origin = Origin(file=source, line=1, fields=lines.header)
    for key in raw:
        if key not in HEADER_KEYS and key not in ACTIONS:
            problems.append(
                header_origin.problem(
                    f"unknown key {key!r} (expected {', '.join((*HEADER_KEYS, *ACTIONS))})",
                    field=key,
                )
            )
    reader = _Reader(problems)
    tenant = reader.text(raw, "tenant", header_origin, required=True)
    reference = reader.text(raw, "reference", header_origin, required=False) or ""
    effective_on = reader.date(raw, "effective_on", header_origin)

    actions: dict[str, list[Any]] = {action: [] for action in ACTIONS}
    for action in ACTIONS:
        entries = raw.get(action, [])
        table_lines = lines.tables.get(action, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            problems.append(
                header_origin.problem(
                    f"{action} must be written as [[{action}]] tables", field=action
                )
            )
            continue
        for index, entry in enumerate(entries):
            line, fields = table_lines[index] if index < len(table_lines) else (None, {})
            origin = Origin(file=source, line=line, fields=fields)
            item = _action(action, entry, origin, reader, lines.text_lines)
            if item is not None:
                actions[action].append(item)
    if problems:
        raise RestructuringFileError(problems)
    assert tenant is not None and effective_on is not None
    return RestructuringFile(
        tenant=tenant,
        effective_on=effective_on,
        reference=reference,
        source=source,
        digest=digest,
        origin=header_origin,
        opens=actions["open"],
        moves=actions["move"],
        renames=actions["rename"],
        merges=actions["merge"],
        closes=actions["close"],
    )


def _action(
    action: str, entry: dict[str, Any], origin: Origin, reader: _Reader, text_lines: list[str]
) -> Any:
    required, optional = FIELDS[action]
    before = len(reader.problems)
    for key in entry:
        if key not in required and key not in optional:
            reader.problems.append(
                origin.problem(
                    f"unknown key {key!r} in [[{action}]] "
                    f"(expected {', '.join((*required, *optional))})",
                    code=entry.get("code") if isinstance(entry.get("code"), str) else None,
                    field=key,
                )
            )
    if action == "merge":
        codes = reader.codes(entry, "codes", origin)
        into = reader.code(entry, "into", origin, required=True)
        if len(reader.problems) > before or codes is None or into is None:
            return None
        code_origins = [_code_origin(origin, code, text_lines) for code in codes]
        return MergeUnits(codes=codes, into=into, origin=origin, code_origins=code_origins)
    values: dict[str, str | None] = {}
    for key in (*required, *optional):
        if key in ("code", "parent", "new_code"):
            values[key] = reader.code(entry, key, origin, required=key in required)
        else:
            values[key] = reader.text(entry, key, origin, required=key in required)
    if len(reader.problems) > before:
        return None
    kinds = {"open": OpenUnit, "move": MoveUnit, "rename": RenameUnit, "close": CloseUnit}
    return kinds[action](**values, origin=origin)  # type: ignore[arg-type]


def _code_origin(origin: Origin, code: str, text_lines: list[str]) -> Origin:
    """The line on which a merged code is written (``codes`` may span several lines)."""
    start = origin.fields.get("codes")
    if start is None:
        return origin
    quoted = (f'"{code}"', f"'{code}'")
    for number in range(start, min(start + 200, len(text_lines) + 1)):
        if any(q in text_lines[number - 1] for q in quoted):
            return Origin(file=origin.file, line=number)
    return Origin(file=origin.file, line=start)


class _Reader:
    """Typed values from a decoded table, each wrong one recorded as a located problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def _code_of(self, table: dict[str, Any]) -> str | None:
        code = table.get("code")
        return code if isinstance(code, str) else None

    def text(
        self, table: dict[str, Any], key: str, origin: Origin, *, required: bool
    ) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.problems.append(
                    origin.problem(f"{key} is missing", code=self._code_of(table), field=key)
                )
            return None
        if not isinstance(value, str):
            self.problems.append(
                origin.problem(
                    f"{key} must be text, not {value!r}", code=self._code_of(table), field=key
                )
            )
            return None
        value = nfc(value)
        if not value:
            if required:
                self.problems.append(
                    origin.problem(f"{key} is empty", code=self._code_of(table), field=key)
                )
            return None
        return value

    def code(
        self, table: dict[str, Any], key: str, origin: Origin, *, required: bool
    ) -> str | None:
        value = self.text(table, key, origin, required=required)
        if value is not None and not CODE_PATTERN.match(value):
            self.problems.append(origin.problem(bad_code(key, value), field=key))
            return None
        return value

    def codes(self, table: dict[str, Any], key: str, origin: Origin) -> list[str] | None:
        value = table.get(key)
        if not isinstance(value, list) or not value:
            self.problems.append(
                origin.problem(f"{key} must be a list of unit codes, not {value!r}", field=key)
            )
            return None
        codes: list[str] = []
        for item in value:
            if not isinstance(item, str) or not CODE_PATTERN.match(nfc(item)):
                self.problems.append(origin.problem(bad_code(key, item), field=key))
                continue
            codes.append(nfc(item))
        return codes if len(codes) == len(value) else None

    def date(self, table: dict[str, Any], key: str, origin: Origin) -> dt.date | None:
        value = table.get(key)
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            parsed = parse_date(value)
            if parsed is not None:
                return parsed
        self.problems.append(
            origin.problem(
                f"{key} is missing"
                if value is None
                else f"{key} is not a date: {value!r} (write 2025-07-01)",
                field=key,
            )
        )
        return None


def bad_code(key: str, value: object) -> str:
    return (
        f"{key} {value!r} is not a unit code (1–120 letters, digits, '.', '-' or '_', "
        "starting and ending with a letter or digit)"
    )


def parse_date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None
