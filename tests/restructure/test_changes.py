"""The tree change worked out in memory: codes of re-created units and the rarer problems."""

from __future__ import annotations

import datetime as dt

from nguon.org.restructure.changes import compute_changes
from nguon.org.restructure.spec import parse_toml
from nguon.org.unit_specs import ExistingUnit
from nguon.tenancy.vocabulary import vocabulary_for

START = dt.date(2020, 1, 1)
# code: (kind, parent code)
TREE = {
    "hy": ("province_committee", None),
    "hy.ca": ("police_committee", None),
    "hy.ca.gc": ("grassroots_committee", "hy.ca"),
    "hy.ca.gc.c1": ("subordinate_cell", "hy.ca.gc"),
    "hy.ca.gc.other": ("subordinate_cell", "hy.ca.gc"),
    "hy.ca.px": ("grassroots_cell", "hy.ca"),
}


def _existing(extra: dict[str, ExistingUnit] | None = None) -> dict[str, ExistingUnit]:
    units: dict[str, ExistingUnit] = {}
    for number, (code, (kind, parent)) in enumerate(TREE.items(), start=1):
        parent = parent or ("hy" if code != "hy" else None)
        path = (units[parent].path if parent else "") + f"{number}."
        units[code] = ExistingUnit(
            id=number,
            code=code,
            name=f"Đơn vị {code}",
            kind=kind,
            bloc="police" if code.startswith("hy.ca") else None,
            parent_code=parent,
            path=path,
            depth=path.count(".") - 1,
            valid_from=START,
            valid_to=None,
        )
    return {**units, **(extra or {})}


def _change(text: str, existing: dict[str, ExistingUnit] | None = None):
    body = 'tenant = "hy"\neffective_on = 2025-07-01\n' + text
    spec = parse_toml(body.encode(), "f.toml", "0" * 64)
    return compute_changes(spec, existing or _existing(), vocabulary_for("hungyen"))


def test_units_below_a_renamed_unit_get_new_codes_by_prefix_or_date() -> None:
    change = _change('[[rename]]\ncode = "hy.ca.gc"\nname = "Đảng ủy mới"\nnew_code = "hy.ca.g2"\n')
    assert change.problems == []
    rows = {row.code: row for row in change.new_rows}
    assert change.new_rows[0].code == "hy.ca.g2"  # parents first
    assert rows["hy.ca.g2.c1"].parent_code == "hy.ca.g2"
    assert rows["hy.ca.g2.c1"].predecessor == "hy.ca.gc.c1" and not rows["hy.ca.g2.c1"].explicit
    assert change.closures["hy.ca.gc.c1"].successor == "hy.ca.g2.c1"
    assert change.closures["hy.ca.gc.c1"].closed_with == "hy.ca.gc"

    # A unit whose code does not start with the moved unit's gets the date appended.
    odd = ExistingUnit(
        id=99,
        code="hy.ca-doi",
        name="Chi bộ Đội",
        kind="subordinate_cell",
        bloc="police",
        parent_code="hy.ca.gc",
        path="1.2.3.99.",
        depth=3,
        valid_from=START,
        valid_to=None,
    )
    change = _change(
        '[[rename]]\ncode = "hy.ca.gc"\nname = "Đảng ủy mới"\n', _existing({"hy.ca-doi": odd})
    )
    codes = {row.predecessor: row.code for row in change.new_rows}
    assert codes["hy.ca.gc"] == "hy.ca.gc-20250701"
    assert codes["hy.ca.gc.c1"] == "hy.ca.gc-20250701.c1"
    assert codes["hy.ca-doi"] == "hy.ca-doi-20250701"


def test_rarer_problems_are_located() -> None:
    text = (
        "\n[[rename]]\n"  # line 4
        'code = "hy.ca.gc"\n'
        'name = "Đảng ủy mới"\n'
        'new_code = "hy.ca.g2"\n'
        "\n[[open]]\n"  # line 9
        'code = "hy.ca.g2.c1"\n'
        'name = "Chi bộ trùng mã"\n'
        'kind = "subordinate_cell"\n'
        'parent = "hy.ca.g2"\n'
        "\n[[close]]\n"  # line 15
        'code = "hy.ca"\n'
    )
    change = _change(text)
    assert sorted(change.problems) == sorted(
        [
            # A unit re-created below the renamed one would take a code the file opens.
            "f.toml:7: code hy.ca.gc.c1: the new code 'hy.ca.g2.c1' is also created at "
            "f.toml:9: give 'hy.ca.gc.c1' a [[move]] of its own with a new_code",
            # The renamed unit's parent closes with no successor.
            "f.toml:4: code hy.ca.gc: its parent 'hy.ca' closes on 2025-07-01 (f.toml:15) with "
            "no successor: use [[move]] to give the unit a new parent",
            # ... so the unit it would have become is no parent for a unit the file opens.
            "f.toml:13: code hy.ca.g2.c1: parent: unknown unit code",
        ]
    )


def test_new_parents_that_loop_are_refused() -> None:
    text = (
        '[[move]]\ncode = "hy.ca.gc"\nparent = "hy.ca.px2"\nnew_code = "hy.ca.gc2"\n'
        '\n[[move]]\ncode = "hy.ca.px"\nparent = "hy.ca.gc2.c1"\nnew_code = "hy.ca.px2"\n'
    )
    change = _change(text)
    assert any("the new parents loop: " in p for p in change.problems), change.problems
    assert change.new_rows == []
