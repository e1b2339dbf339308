"""Import a large hierarchy from CSV or XLSX: every row checked first, then all or nothing.

Columns (header row required, any order): code, name, kind, bloc, parent_code, valid_from,
valid_to. A parent may already be in the database or anywhere in the file. Dates are
YYYY-MM-DD or DD/MM/YYYY (or date cells in XLSX).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import msgspec

from nguon.audit.service import Actor
from nguon.db.binding import current_engine
from nguon.org.service import create_units, existing_units
from nguon.org.unit_specs import Origin, UnitSpec, plan_units
from nguon.tenancy.closed import closed_problem
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from nguon.tenancy.vocabulary import UnknownRulesPackage, vocabulary_for
from nguon.text import ascii_digits, nfc

IMPORT_ACTOR = Actor(label="cli:import-units")
REQUIRED_COLUMNS = ("code", "name", "kind", "parent_code", "valid_from")
COLUMNS = (*REQUIRED_COLUMNS, "bloc", "valid_to")

Cell = str | dt.date | dt.datetime | int | float | None


class UnitImportError(Exception):
    """The file cannot be imported; ``problems`` names every bad line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the import file")
        self.problems = problems


class ImportReport(msgspec.Struct, kw_only=True):
    tenant: str
    rows: int
    created: int
    unchanged: int


def _rows(path: Path) -> Iterator[tuple[int, list[Cell]]]:
    """(line number, cells) for every line of the file, the header first."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            for cells in reader:
                yield reader.line_num, list(cells)
    elif suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(cells)
        finally:
            workbook.close()
    else:
        raise UnitImportError([f"{path.name}: use a .csv or .xlsx file"])


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return nfc(str(cell))


def _date(cell: Cell) -> dt.date | None:
    """A date from a cell; ``None`` for an empty cell; ValueError if it is not a date."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = _text(cell)
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def read_unit_rows(path: Path) -> tuple[list[UnitSpec], list[str]]:
    """The units of an import file and every problem found reading it."""
    problems: list[str] = []
    specs: list[UnitSpec] = []
    unreadable_codes: set[str] = set()
    rows = _rows(path)
    header_line = next(rows, None)
    if header_line is None:
        return [], [f"{path.name}: the file is empty (a header row is required)"]
    _, header_cells = header_line
    header = [_text(cell).lower() for cell in header_cells]
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue
        if name not in COLUMNS:
            problems.append(
                f"line 1, column {name}: unknown column (expected {', '.join(COLUMNS)})"
            )
        elif name in columns:
            problems.append(f"line 1, column {name}: the column appears twice")
        else:
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"line 1: missing column(s) {', '.join(missing)}")
        return [], problems

    def cell(cells: list[Cell], name: str) -> Cell:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    pending: list[UnitSpec] = []
    for line, cells in rows:
        if all(_text(c) == "" for c in cells):
            continue
        origin = Origin(f"line {line}", in_file=True)
        row_problems: list[str] = []
        values: dict[str, str] = {name: _text(cell(cells, name)) for name in COLUMNS}
        for name in ("code", "name", "kind"):
            if not values[name]:
                row_problems.append(f"{origin.at(name)}: {name} is empty")
        dates: dict[str, dt.date | None] = {}
        for name in ("valid_from", "valid_to"):
            try:
                dates[name] = _date(cell(cells, name))
            except ValueError as error:
                row_problems.append(
                    f"{origin.at(name)}: not a date: {error.args[0]!r} "
                    "(use YYYY-MM-DD or DD/MM/YYYY)"
                )
        if "valid_from" in dates and dates["valid_from"] is None:
            row_problems.append(f"{origin.at('valid_from')}: valid_from is empty")
        problems.extend(row_problems)
        if row_problems:
            if values["code"]:
                unreadable_codes.add(values["code"])
            continue
        spec = UnitSpec(
            code=values["code"],
            name=values["name"],
            kind=values["kind"],
            bloc=values["bloc"] or None,
            parent_code=values["parent_code"] or None,
            valid_from=dates["valid_from"],  # type: ignore[arg-type]
            valid_to=dates.get("valid_to"),
            origin=origin,
        )
        pending.append(spec)
    for spec in pending:
        if spec.parent_code in unreadable_codes:
            spec = replace(spec, parent_known=False)
        specs.append(spec)
    return specs, problems


async def import_units(tenant_slug: str, path: Path, actor: Actor = IMPORT_ACTOR) -> ImportReport:
    """Check every row, then create the new units in one transaction (as the owner)."""
    specs, problems = read_unit_rows(path)
    with tenant_context(None):
        async with current_engine().transaction():
            tenant = await Tenant.objects().where(Tenant.slug == tenant_slug).first()
            if tenant is None:
                raise UnitImportError([f"unknown tenant {tenant_slug!r}"])
            closed = closed_problem(tenant)
            if closed:
                raise UnitImportError([closed])
            try:
                vocabulary = vocabulary_for(tenant.rules_package)
            except UnknownRulesPackage:
                raise UnitImportError(
                    [f"tenant {tenant_slug!r} uses unknown rules package {tenant.rules_package!r}"]
                ) from None
            await switch_tenant_in_transaction(tenant.id)
            existing = await existing_units()
            plan = plan_units(specs, existing, vocabulary)
            problems.extend(plan.problems)
            if problems:
                raise UnitImportError(sorted(problems, key=_line_order))
            created = await create_units(plan.to_create, existing, actor)
    return ImportReport(
        tenant=tenant_slug, rows=len(specs), created=len(created), unchanged=len(plan.unchanged)
    )


def _line_order(problem: str) -> tuple[int, str]:
    if problem.startswith("line "):
        number = problem[5:].split(",", 1)[0].split(":", 1)[0]
        if ascii_digits(number):
            return int(number), problem
    return 0, problem
