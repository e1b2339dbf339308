"""Every problem of a restructuring file is found before anything is written, and located:
FILE:LINE (TOML) or FILE:SHEET:ROW (XLSX), with the unit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from nguon.org.restructure import (
    RestructuringFileError,
    RestructuringRefused,
    load_restructuring,
    restructure_file,
)
from nguon.org.restructure import apply as apply_module
from tests.conftest import Database
from tests.restructure.conftest import (
    RESTRUCTURING,
    build_world,
    tenant_fingerprint,
    write_file,
)

BAD = """\
tenant = "{slug}"
effective_on = 2025-07-01
reference = "Thử các lỗi"

[[open]]
code = "hy.phohien"
name = "Đảng ủy phường Phố Hiến"
kind = "commune_committee"
parent = "hy"

[[open]]
code = "hy.phohien"
name = "Đảng ủy phường trùng mã"
kind = "commune_committee"
parent = "hy"

[[open]]
code = "hy.ca.xa"
name = "Đảng ủy xã dưới Công an"
kind = "commune_committee"
parent = "hy.ca"

[[open]]
code = "hy.huyen-moi"
name = "Huyện ủy mới"
kind = "district_committee"
parent = "hy"

[[open]]
code = "hy.x"
name = "Đảng ủy xã X"
kind = "commune_committee"
parent = "hy.khong-co-cha"

[[move]]
code = "hy.hungyen.thpt"
parent = "hy.phohien"
new_code = "hy.ca"

[[close]]
code = "hy.hungyen.thpt"

[[close]]
code = "hy.khong-co"

[[merge]]
codes = [
  "hy.hungyen.leloi",
  "hy.hungyen.minhkhai",
]
into = "hy.hungyen"

[[close]]
code = "hy.hungyen"
"""


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    lines = [number for number, line in enumerate(text.splitlines(), 1) if snippet in line]
    return lines[occurrence - 1]


def find(problems: list[str], prefix: str, *phrases: str) -> str:
    found = [p for p in problems if p.startswith(prefix) and all(ph in p for ph in phrases)]
    assert len(found) == 1, f"{prefix} {phrases} not in:\n" + "\n".join(problems)
    return found[0]


async def test_every_problem_of_a_toml_file_is_located(db: Database, tmp_path: Path) -> None:
    world = await build_world(db)
    before = await tenant_fingerprint(db, world.tenant_id)
    path = write_file(tmp_path, world.slug, BAD)
    text = path.read_text(encoding="utf-8")
    with pytest.raises(RestructuringRefused) as refused:
        await restructure_file(path)
    problems = refused.value.problems
    at = f"{path}:"

    def line(snippet: str, occurrence: int = 1) -> str:
        return f"{at}{line_of(text, snippet, occurrence)}: "

    find(problems, line('code = "hy.phohien"', 2) + "code hy.phohien: ", "also created at")
    find(
        problems,
        line('parent = "hy.ca"') + "code hy.ca.xa: ",
        "cannot sit under 'hy.ca' of kind 'police_committee'",
        "structure.toml",
    )
    find(
        problems,
        line('kind = "district_committee"') + "code hy.huyen-moi: ",
        "not in force on 2025-07-01",
        "structure.toml",
    )
    find(problems, line('parent = "hy.khong-co-cha"') + "code hy.x: ", "unknown unit code")
    find(problems, line('new_code = "hy.ca"') + "code hy.hungyen.thpt: ", "already exists")
    find(
        problems,
        line('code = "hy.hungyen.thpt"', 2) + "code hy.hungyen.thpt: ",
        "closed here and already moved at",
    )
    find(problems, line('code = "hy.khong-co"') + "code hy.khong-co: ", "unknown unit code")
    find(
        problems,
        line('into = "hy.hungyen"') + "code hy.hungyen: ",
        "must be in force after the change",
    )
    # A cell of a merged ward closes with it and holds a candidate: it needs a successor.
    find(
        problems,
        line('"hy.hungyen.leloi",') + "code hy.hungyen.leloi.tdp-1: ",
        "with 'hy.hungyen.leloi'",
        "no successor but holds 1 candidate(s)",
    )
    # Left in force after 2025-07-01 although version 2025.2 has no bloc committee.
    find(
        problems,
        line("effective_on") + "code hy.kcq: ",
        "stays in force",
        "version 2025.2",
        "structure.toml unit_kind 'bloc_committee'",
    )
    find(problems, line("effective_on") + "code hy.kcq.iz: ", "stays in force", "placement")
    assert len(problems) == 11, "\n".join(problems)
    assert await tenant_fingerprint(db, world.tenant_id) == before


def test_a_file_that_cannot_be_read_names_each_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('tenant = "hy"\neffective_on = 2025-07-01\n[[open]\ncode = "x"\n')
    with pytest.raises(RestructuringFileError) as error:
        load_restructuring(path)
    [problem] = error.value.problems
    assert problem.startswith(f"{path}:3: not valid TOML")

    path.write_text(
        'tenant = "hy"\n'
        'effective_on = "1/7/2025x"\n'
        "colour = 1\n"
        "\n"
        "[[move]]\n"
        'code = "hy.a b"\n'
        "\n"
        "[[rename]]\n"
        'code = "hy.b"\n'
        'nam = "Chi bộ"\n'
    )
    with pytest.raises(RestructuringFileError) as error:
        load_restructuring(path)
    assert error.value.problems == [
        f"{path}:3: unknown key 'colour' (expected tenant, effective_on, reference, open, move, "
        "rename, merge, close)",
        f"{path}:2: effective_on is not a date: '1/7/2025x' (write 2025-07-01)",
        f"{path}:6: code 'hy.a b' is not a unit code (1–120 letters, digits, '.', '-' or '_', "
        "starting and ending with a letter or digit)",
        f"{path}:5: code hy.a b: parent is missing",
        f"{path}:10: code hy.b: unknown key 'nam' in [[rename]] (expected code, name, new_code)",
        f"{path}:8: code hy.b: name is missing",
    ]
    other = tmp_path / "changes.csv"
    other.write_text("x")
    with pytest.raises(RestructuringFileError) as error:
        load_restructuring(other)
    assert error.value.problems == [f"{other}: use a .toml or .xlsx restructuring file"]


def _workbook(path: Path, slug: str, rows: list[tuple[str, ...]], info: bool = True) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Thông tin"
    if info:
        sheet.append(("tenant", slug))
        sheet.append(("effective_on", "2025-07-01"))
        sheet.append(("reference", "Nghị quyết 1666/NQ-UBTVQH15"))
    changes = workbook.create_sheet("Thay đổi")
    changes.append(("action", "code", "parent", "name", "kind", "bloc", "new_code", "into"))
    for row in rows:
        changes.append(row)
    workbook.save(path)
    return path


# The TOML scenario of conftest, row for row.
SCENARIO_ROWS = [
    ("open", "hy.phohien", "hy", "Đảng ủy phường Phố Hiến", "commune_committee", "commune"),
    ("open", "hy.ubnd", "hy", "Đảng bộ Ủy ban nhân dân tỉnh", "people_committee_party_committee"),
    ("move", "hy.hungyen.leloi.tdp-1", "hy.phohien", None, None, None, "hy.phohien.tdp-1"),
    ("move", "hy.hungyen.leloi.tdp-2", "hy.phohien"),
    (
        "move",
        "hy.hungyen.minhkhai.tdp-1",
        "hy.phohien",
        "Chi bộ tổ dân phố Minh Khai 1",
        None,
        None,
        "hy.phohien.minhkhai-1",
    ),
    ("move", "hy.hungyen.thpt", "hy.phohien", None, None, None, "hy.phohien.thpt"),
    ("move", "hy.kcq.iz", "hy.ubnd", None, None, None, "hy.ubnd.iz"),
    ("rename", "hy.ca.px01", None, "Chi bộ Phòng Cảnh sát hình sự", None, None, "hy.ca.px01-2025"),
    ("rename", "hy.ca.gc", None, "Đảng ủy Công an phường Phố Hiến", None, None, "hy.ca.phohien"),
    ("merge", "hy.hungyen.leloi", None, None, None, None, None, "hy.phohien"),
    ("merge", "hy.hungyen.minhkhai", None, None, None, None, None, "hy.phohien"),
    ("close", "hy.hungyen"),
    ("close", "hy.kcq"),
]


async def test_an_xlsx_file_does_what_the_toml_file_does(db: Database, tmp_path: Path) -> None:
    world = await build_world(db)
    xlsx = _workbook(tmp_path / "2025.xlsx", world.slug, SCENARIO_ROWS)
    from_xlsx = await restructure_file(xlsx, dry_run=True)
    from_toml = await restructure_file(write_file(tmp_path, world.slug), dry_run=True)
    assert from_xlsx.summary.actions == from_toml.summary.actions
    for field in ("units_created", "units_closed", "successions", "candidates", "lists"):
        assert getattr(from_xlsx.summary, field) == getattr(from_toml.summary, field), field
    spec = load_restructuring(xlsx)
    assert spec.merges[0].codes == ["hy.hungyen.leloi", "hy.hungyen.minhkhai"]
    assert spec.reference == "Nghị quyết 1666/NQ-UBTVQH15"


async def test_every_problem_of_an_xlsx_file_names_its_sheet_and_row(
    db: Database, tmp_path: Path
) -> None:
    world = await build_world(db)
    rows = [
        *SCENARIO_ROWS[:-1],
        ("close", "hy.khong-co"),  # row 14: unknown
        ("open", "hy.ca.xa", "hy.ca", "Đảng ủy xã", "commune_committee"),  # row 15: placement
        ("move", "hy.ca.px01", "hy.phohien"),  # row 16: renamed already (row 9)
    ]
    path = _workbook(tmp_path / "bad.xlsx", world.slug, rows)
    with pytest.raises(RestructuringRefused) as refused:
        await restructure_file(path)
    problems = refused.value.problems
    at = f"{path}:Thay đổi:"
    find(problems, f"{at}14: code hy.khong-co: ", "unknown unit code")
    find(problems, f"{at}15: code hy.ca.xa: ", "cannot sit under", "structure.toml")
    find(problems, f"{at}16: code hy.ca.px01: ", "moved here and already renamed at", f"{at}9")
    # hy.kcq is no longer closed: it and its bloc stay, which version 2025.2 forbids.
    find(problems, f"{path}:Thông tin:2: code hy.kcq: ", "stays in force", "structure.toml")
    assert len(problems) == 4, "\n".join(problems)

    unreadable = _workbook(
        tmp_path / "unreadable.xlsx",
        world.slug,
        [("move", "hy.ca.px01"), ("demolish", "hy.ca"), ("open", "hy a", "hy", "Tên", "k")],
        info=False,
    )
    with pytest.raises(RestructuringFileError) as error:
        load_restructuring(unreadable)
    assert error.value.problems == [
        f"{unreadable}:Thông tin: tenant is missing (a row «tenant | …»)",
        f"{unreadable}:Thông tin: effective_on is missing (a row «effective_on | …»)",
        f"{unreadable}:Thay đổi:2: code hy.ca.px01: parent is empty",
        f"{unreadable}:Thay đổi:3: code hy.ca: unknown action 'demolish' "
        "(expected open, move, rename, merge, close)",
        f"{unreadable}:Thay đổi:4: code hy a: code 'hy a' is not a unit code (1–120 letters, "
        "digits, '.', '-' or '_', starting and ending with a letter or digit)",
    ]


async def test_a_workbook_for_an_unknown_tenant_names_the_tenant_row(
    db: Database, tmp_path: Path
) -> None:
    path = _workbook(tmp_path / "other.xlsx", "khong-co", SCENARIO_ROWS)
    with pytest.raises(RestructuringRefused) as refused:
        await restructure_file(path)
    assert refused.value.problems == [f"{path}:Thông tin:1: unknown tenant 'khong-co'"]


async def test_one_bad_row_writes_nothing(db: Database, tmp_path: Path) -> None:
    world = await build_world(db)
    before = await tenant_fingerprint(db, world.tenant_id)
    text = RESTRUCTURING + '\n[[close]]\ncode = "hy.khong-co"\n'
    path = write_file(tmp_path, world.slug, text)
    with pytest.raises(RestructuringRefused) as refused:
        await restructure_file(path)
    assert refused.value.problems == [
        f"{path}:{line_of(text, 'hy.khong-co')}: code hy.khong-co: unknown unit code"
    ]
    assert await tenant_fingerprint(db, world.tenant_id) == before


@pytest.mark.parametrize("step", ["find_receivers", "add_memberships", "record"])
async def test_a_failure_half_way_through_leaves_the_tenant_as_it_was(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    world = await build_world(db)
    before = await tenant_fingerprint(db, world.tenant_id)

    async def broken(self: object) -> None:
        raise RuntimeError(f"injected failure in {step}")

    monkeypatch.setattr(apply_module._Steps, step, broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        await restructure_file(write_file(tmp_path, world.slug))
    assert await tenant_fingerprint(db, world.tenant_id) == before
    monkeypatch.undo()
    report = await restructure_file(write_file(tmp_path, world.slug))
    assert report.applied and report.summary.units_created == 10
