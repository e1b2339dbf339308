"""The restructuring file as a workbook: the same rows as the TOML file.

Sheet ``Thông tin``: one row per header value, the key in column A and its value in
column B (``tenant``, ``effective_on``, ``reference``). Sheet ``Thay đổi``: a header row
``action | code | parent | name | kind | bloc | new_code | into`` (any order), then one row
per change; a merge is one row per merged code with the same ``into``. Problems name the
sheet and row: ``FILE:Thay đổi:7: code X: …``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from nguon.org.restructure.spec import (
    ACTIONS,
    FIELDS,
    HEADER_KEYS,
    CloseUnit,
    MergeUnits,
    MoveUnit,
    OpenUnit,
    Origin,
    RenameUnit,
    RestructuringFile,
    RestructuringFileError,
    bad_code,
    parse_date,
)
from nguon.org.unit_specs import CODE_PATTERN
from nguon.text import nfc

INFO_SHEET = "Thông tin"
CHANGES_SHEET = "Thay đổi"
COLUMNS = ("action", "code", "parent", "name", "kind", "bloc", "new_code", "into")
CODE_COLUMNS = ("code", "parent", "new_code", "into")


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return nfc(str(cell))


def _sheet(workbook: Any, name: str) -> Any:
    for sheet in workbook.worksheets:
        if nfc(sheet.title) == name:
            return sheet
    return None


def parse_xlsx(path: Path, source: str, digest: str) -> RestructuringFile:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        problem = f"{source}: not a readable XLSX workbook ({error})"
        raise RestructuringFileError([problem]) from None
    try:
        problems: list[str] = []
        info = _sheet(workbook, INFO_SHEET)
        changes = _sheet(workbook, CHANGES_SHEET)
        for name, sheet in ((INFO_SHEET, info), (CHANGES_SHEET, changes)):
            if sheet is None:
                problems.append(f"{source}: the workbook has no sheet «{name}»")
        if info is None or changes is None:
            raise RestructuringFileError(problems)
        header, header_origin = _info(info, source, problems)
        actions = _changes(changes, source, problems)
    finally:
        workbook.close()
    if problems:
        raise RestructuringFileError(problems)
    return RestructuringFile(
        tenant=header["tenant"],
        effective_on=header["effective_on"],
        reference=header.get("reference", ""),
        source=source,
        digest=digest,
        origin=header_origin,
        opens=actions["open"],
        moves=actions["move"],
        renames=actions["rename"],
        merges=actions["merge"],
        closes=actions["close"],
    )


def _info(sheet: Any, source: str, problems: list[str]) -> tuple[dict[str, Any], Origin]:
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [*cells, None, None]
        key = _text(cells[0]).lower()
        if not key and not _text(cells[1]):
            continue
        origin = Origin(file=source, line=number, sheet=INFO_SHEET)
        if key not in HEADER_KEYS:
            problems.append(
                origin.problem(f"unknown key {key!r} (expected {', '.join(HEADER_KEYS)})")
            )
            continue
        if key in values:
            problems.append(origin.problem(f"{key} is given twice (first on row {rows[key]})"))
            continue
        rows[key] = number
        value = cells[1]
        if key == "effective_on":
            if isinstance(value, dt.datetime):
                value = value.date()
            elif not isinstance(value, dt.date):
                parsed = parse_date(_text(value))
                if parsed is None:
                    problems.append(origin.problem(f"effective_on is not a date: {_text(value)!r}"))
                    continue
                value = parsed
            values[key] = value
        else:
            values[key] = _text(value)
    first = min(rows.values(), default=1)
    header_origin = Origin(
        file=source, line=rows.get("effective_on", first), sheet=INFO_SHEET, fields=rows
    )
    for key in ("tenant", "effective_on"):
        if not values.get(key) and not any(key in p for p in problems):
            problems.append(f"{source}:{INFO_SHEET}: {key} is missing (a row «{key} | …»)")
    return values, header_origin


def _changes(sheet: Any, source: str, problems: list[str]) -> dict[str, list[Any]]:
    actions: dict[str, list[Any]] = {action: [] for action in ACTIONS}
    rows = sheet.iter_rows(values_only=True)
    header_cells = next(rows, None)
    header_origin = Origin(file=source, line=1, sheet=CHANGES_SHEET)
    if header_cells is None:
        problems.append(header_origin.problem("the sheet is empty (a header row is required)"))
        return actions
    columns: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        name = _text(cell).lower()
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                header_origin.problem(f"unknown column {name!r} (expected {', '.join(COLUMNS)})")
            )
        elif name in columns:
            problems.append(header_origin.problem(f"the column {name!r} appears twice"))
        else:
            columns[name] = index
    missing = [name for name in ("action", "code") if name not in columns]
    if missing:
        problems.append(header_origin.problem(f"missing column(s) {', '.join(missing)}"))
        return actions

    merges: dict[str, tuple[Origin, list[str], list[Origin]]] = {}
    for number, cells in enumerate(rows, start=2):
        cells = list(cells)
        values = {
            name: _text(cells[index]) if index < len(cells) else ""
            for name, index in columns.items()
        }
        if not any(values.values()):
            continue
        origin = Origin(file=source, line=number, sheet=CHANGES_SHEET)
        action = values.get("action", "").lower()
        code = values.get("code") or None
        if action not in ACTIONS:
            problems.append(
                origin.problem(
                    f"unknown action {values.get('action', '')!r} (expected {', '.join(ACTIONS)})",
                    code=code,
                )
            )
            continue
        required, optional = FIELDS[action]
        if action == "merge":
            required, optional = ("code", "into"), ()
        row_problems: list[str] = []
        for name in required:
            if not values.get(name):
                row_problems.append(origin.problem(f"{name} is empty", code=code))
        for name, value in values.items():
            if name == "action" or not value:
                continue
            if name not in required and name not in optional:
                row_problems.append(
                    origin.problem(f"column {name} is not used by {action}", code=code)
                )
            elif name in CODE_COLUMNS and not CODE_PATTERN.match(value):
                row_problems.append(origin.problem(bad_code(name, value), code=code))
        problems.extend(row_problems)
        if row_problems:
            continue
        fields = {name: values.get(name) or None for name in (*required, *optional)}
        if action == "merge":
            into = values["into"]
            _, codes, origins = merges.setdefault(into, (origin, [], []))
            codes.append(values["code"])
            origins.append(origin)
        elif action == "open":
            actions["open"].append(OpenUnit(**fields, origin=origin))  # type: ignore[arg-type]
        elif action == "move":
            actions["move"].append(MoveUnit(**fields, origin=origin))  # type: ignore[arg-type]
        elif action == "rename":
            actions["rename"].append(RenameUnit(**fields, origin=origin))  # type: ignore[arg-type]
        else:
            actions["close"].append(CloseUnit(code=values["code"], origin=origin))
    for into, (origin, codes, origins) in merges.items():
        actions["merge"].append(
            MergeUnits(codes=codes, into=into, origin=origin, code_origins=origins)
        )
    return actions
