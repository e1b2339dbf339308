"""The Hưng Yên package's own forms become the exported workbook's headers."""

from __future__ import annotations

from datetime import date

import pytest
from list_forms_xlsx_readback import document, header_texts, read_back, table_rows
from nguon_list_forms_xlsx.layout import TITLE_ROW, render_workbook

from nguon.pipeline.documents import DocumentColumn
from nguon.pipeline.documents_build import CELL_KINDS
from nguon.rules import load_package

PACKAGE = load_package("hungyen")
STEPS_AND_LEVELS = sorted(
    {(spec.step, level) for spec, _ in PACKAGE.forms for level in spec.levels}
)


def test_the_package_has_forms_for_every_step() -> None:
    assert {step for step, _ in STEPS_AND_LEVELS} == {
        "survey",
        "course_nominees",
        "admission_sources",
    }


@pytest.mark.parametrize(("step", "level"), STEPS_AND_LEVELS)
def test_form_columns_become_the_headers(step: str, level: str) -> None:
    form = PACKAGE.form(step, level, date(2025, 6, 1))
    columns = tuple(
        DocumentColumn(c.code, c.header, CELL_KINDS.get(c.code, "text")) for c in form.columns
    )
    rows = tuple(
        tuple(f"{number}" if c.code == "seq" else f"{c.header} {number}" for c in form.columns)
        for number in (1, 2)
    )

    sheet = read_back(
        render_workbook(
            document(title=form.title, step=step, columns=columns, rows=rows, sheet_name=form.sheet)
        )
    )

    assert header_texts(sheet) == [column.header for column in form.columns]
    expected = [tuple(int(v) if v.isdigit() else v for v in row) for row in rows]
    assert table_rows(sheet, len(columns)) == expected
    assert sheet.cell(TITLE_ROW, 1).value == form.title.upper()
    assert sheet.title == form.sheet and form.sheet.endswith(step_number(step))


def step_number(step: str) -> str:
    return {"survey": "1", "course_nominees": "2", "admission_sources": "3"}[step]
