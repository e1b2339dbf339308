"""What-if on a tenant's real people: a draft that shortens the certificate's validity
from 60 to 36 months changes the outcome of exactly the people whose certificate is 36 to
60 months old, reported per unit, with the clause on each side; another tenant's people
are never read."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from nguon.people.tables import Candidate
from nguon.rules.facts import add_months, full_months_between
from nguon.rules.registry import load_package
from nguon.rules.whatif import compare, render
from nguon.rules.whatif_tenant import tenant_people
from nguon.tenancy.scoped import switch_tenant_in_transaction
from tests.conftest import Database
from tests.http.conftest import World, build_today_world

ON = dt.date(2026, 6, 1)
DRAFT = """\
id = "hy36"
title = "Hưng Yên — dự thảo: giấy chứng nhận có giá trị 36 tháng"
extends = "hungyen"

[[version]]
id = "draft"
valid_from = 2024-01-01

[[parameter]]
name = "certificate_validity_months"
override = true
[[parameter.value]]
value = 36
valid_from = 2024-01-01
reference = "Dự thảo hướng dẫn của Ban Tổ chức Tỉnh ủy"
confidence = "L"
"""
# Months since the certificate, per person, in each cell: 36–59 change, the rest do not.
CERTIFICATE_AGES = {"cell_x": [None, 0, 12, 35, 36, 40, 59, 60, 75], "cell_y": [20, 47, 58, 61]}


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    folder = tmp_path / "hy36"
    folder.mkdir()
    (folder / "manifest.toml").write_text(DRAFT, encoding="utf-8")
    return folder


async def _people(db: Database, world: World, ages: dict[str, list[int | None]]) -> dict:
    """Candidates in the world's cells, certified ``age`` months before ON (None: none)."""
    made: dict[int, tuple[str, int | None]] = {}
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            for unit_key, months in ages.items():
                for index, age in enumerate(months):
                    name = f"Người {unit_key} {index}"
                    row = Candidate(
                        tenant_id=world.tenant_id,
                        unit=world.units[unit_key],
                        unit_path="",
                        full_name=name,
                        name_search=name.lower(),
                        date_of_birth=dt.date(1995, 3, 10),
                        sex="male",
                        education="upper_secondary",
                        political_standard="passed",
                        certificate_date=None if age is None else add_months(ON, -age),
                        stage="surveyed" if age is None else "certified",
                    )
                    await row.save().run()
                    made[row.id] = (unit_key, age)
    return made


async def test_a_shorter_certificate_changes_exactly_the_36_to_60_month_olds(
    db: Database, draft: Path
) -> None:
    world = await build_today_world(db, "whatif")
    other = await build_today_world(db, "whatif-other")
    made = await _people(db, world, CERTIFICATE_AGES)
    await _people(db, other, {"cell_x": [40, 41, 42]})

    with db.as_owner():
        package_id, people = await tenant_people(world.slug, ON)
    assert package_id == "hungyen"
    assert sorted(int(p.facts.person_ref) for p in people) == sorted(made)

    report = await asyncio.to_thread(
        compare, load_package("hungyen"), load_package(draft), people, ON
    )
    expected: dict[int, set[str]] = {}
    for candidate_id, (unit_key, age) in made.items():
        if age is not None:
            assert full_months_between(add_months(ON, -age), ON) == age
        if age is not None and 36 <= age < 60:
            expected.setdefault(world.units[unit_key], set()).add(str(candidate_id))
    assert {unit.unit_id: unit.people for unit in report.units} == expected
    assert report.people == len(made)
    assert (report.before.version, report.after.package) == ("2025.2", "hy36")

    unit = next(u for u in report.units if u.unit_id == world.units["cell_x"])
    steps = {step.decision: step for step in unit.steps}
    source = steps["admission_source_list"].changes[0]
    assert (source.before, source.after) == ("eligible", "not_eligible")
    assert [(b.code, b.clause_id, b.clause) for b in source.only_after] == [
        ("certificate_expired", "hd06tw.5.4", "06-HD/TW, Mục 5.4")
    ]
    course = steps["course_nominee_list"].changes[0]
    assert (course.before, course.after) == ("not_eligible", "eligible")
    assert [(b.code, b.clause_id) for b in course.only_before] == [
        ("course_already_completed", "hy06.b2")
    ]
    lines = render(report)
    assert lines[1] == f"{len(made)} people evaluated; 5 change outcome in 2 unit(s)"
    assert any("+ certificate_expired" in line and "hd06tw.5.4" in line for line in lines)

    plain = compare(load_package("hungyen"), load_package(draft), people, ON, engine=False)
    assert plain == report


def test_the_whatif_command_reports_per_unit_reading_only(tmp_path: Path, draft: Path) -> None:
    from click.testing import CliRunner

    from nguon.cli import main
    from nguon.db.engine import make_engine
    from nguon.db.migrate import migrate

    url = f"sqlite:///{tmp_path / 'whatif.sqlite'}"

    async def setup() -> tuple[World, dict]:
        await migrate(url)
        engine = make_engine(url)
        database = Database(kind="sqlite", app=engine, owner=engine)
        world = await build_today_world(database, "whatif-cli")
        return world, await _people(database, world, CERTIFICATE_AGES)

    world, made = asyncio.run(setup())
    before = (tmp_path / "whatif.sqlite").read_bytes()
    runner = CliRunner(env={"NGUON_MIGRATE_DATABASE_URL": url, "NGUON_DATABASE_URL": url})
    result = runner.invoke(main, ["rules", "whatif", world.slug, str(draft), "--on", str(ON)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"on {ON}: hungyen 2025.2 -> hy36 draft" in out
    assert f"{len(made)} people evaluated; 5 change outcome in 2 unit(s)" in out
    assert f"Chi bộ thôn Ngọc Đà (unit {world.units['cell_x']}): 3 people" in out
    assert f"Chi bộ thôn Đình Dù (unit {world.units['cell_y']}): 2 people" in out
    assert "+ certificate_expired: " in out and "[hd06tw.5.4: 06-HD/TW, Mục 5.4]" in out
    assert (tmp_path / "whatif.sqlite").read_bytes() == before
    unknown = runner.invoke(main, ["rules", "whatif", "no-such-province", str(draft)])
    assert unknown.exit_code != 0 and "no-such-province" in unknown.output
