"""A draft version of a tenant's package governs nobody until the tenant publishes it;
published with an effective date, it governs the tenant's people from that day on (not
before), and the publication is an audit event with before and after."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from nguon.audit.service import Actor
from nguon.audit.tables import AuditEvent
from nguon.clock import today_in_vietnam
from nguon.errors import Conflict, NotFound
from nguon.people.tables import Candidate
from nguon.pipeline.evaluation import evaluate_rows
from nguon.pipeline.publication import publish_version
from nguon.pipeline.rules_tables import RulesPublication
from nguon.rules.facts import add_months
from nguon.rules.registry import RULES_PATH_VARIABLE, clear_cache, load_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import Database
from tests.http.conftest import World, build_today_world

PACKAGE = "hydraft"
TODAY = today_in_vietnam()
DRAFT_FROM = TODAY + dt.timedelta(days=60)  # the draft's own start in its manifest
EFFECTIVE = TODAY + dt.timedelta(days=90)  # the tenant's choice
STEP = "admission_source_list"


def draft_manifest(draft_from: dt.date) -> str:
    return f"""\
id = "{PACKAGE}"
title = "Hưng Yên — có phiên bản dự thảo: giấy chứng nhận có giá trị 36 tháng"
extends = "hungyen"

[[version]]
id = "2025.2"
valid_from = 2025-07-01
valid_to = {draft_from}

[[version]]
id = "2027.1"
valid_from = {draft_from}
status = "draft"
note = "Dự thảo: giấy chứng nhận có giá trị 36 tháng."

[[parameter]]
name = "certificate_validity_months"
override = true
[[parameter.value]]
value = 60
valid_from = 2025-07-01
valid_to = {draft_from}
reference = "06-HD/TW, Mục 5.4"
confidence = "H"
[[parameter.value]]
value = 36
valid_from = {draft_from}
reference = "Dự thảo hướng dẫn của Ban Tổ chức Tỉnh ủy"
confidence = "L"
"""


def write_draft_package(root: Path, draft_from: dt.date = DRAFT_FROM) -> Path:
    folder = root / PACKAGE
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text(draft_manifest(draft_from), encoding="utf-8")
    return folder


@pytest.fixture
def draft_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "packages"
    write_draft_package(root)
    monkeypatch.setenv(RULES_PATH_VARIABLE, str(root))
    clear_cache()
    yield root
    clear_cache()


async def use_package(db: Database, world: World, package: str = PACKAGE) -> None:
    with db.as_owner():
        await Tenant.update({Tenant.rules_package: package}).where(Tenant.id == world.tenant_id)


async def certified(db: Database, world: World, months: list[int], unit: str = "cell_x") -> None:
    """Candidates certified ``months`` before today, in ``unit``."""
    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            for index, age in enumerate(months):
                name = f"Người {unit} {index}"
                await Candidate(
                    tenant_id=world.tenant_id,
                    unit=world.units[unit],
                    unit_path="",
                    full_name=name,
                    name_search=name.lower(),
                    date_of_birth=dt.date(1995, 3, 10),
                    sex="male",
                    education="upper_secondary",
                    political_standard="passed",
                    certificate_date=add_months(TODAY, -age),
                    stage="certified",
                ).save()


async def evaluations(db: Database, world: World, on: dt.date) -> list:
    with tenant_context(world.tenant_id):
        async with db.app.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            rows = await Candidate.select().where(in_tenant(Candidate)).run()
            return list((await evaluate_rows(rows, on, [STEP])).values())


async def outcomes(db: Database, world: World, on: dt.date) -> set[tuple[str, str]]:
    """(version, outcome of STEP) of the world's candidates evaluated on ``on``."""
    return {(e.version, e.decisions[STEP].outcome) for e in await evaluations(db, world, on)}


async def publish(db: Database, world: World, version: str, effective: dt.date) -> dict:
    with tenant_context(world.tenant_id):
        async with db.app.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            return await publish_version(
                Actor(label="test:board", user_id=None), version, effective
            )


def test_the_draft_is_loaded_and_marked() -> None:
    with pytest.MonkeyPatch.context() as patch:
        import tempfile

        with tempfile.TemporaryDirectory() as root:
            write_draft_package(Path(root))
            patch.setenv(RULES_PATH_VARIABLE, root)
            clear_cache()
            package = load_package(PACKAGE)
            assert [(v.id, v.draft) for v in package.versions] == [
                ("2025.2", False),
                ("2027.1", True),
            ]
            after = DRAFT_FROM + dt.timedelta(days=5)
            # Unpublished: the adopted version, with its last day's rules.
            version, rules_on = package.in_force_for(after, {})
            assert (version.id, rules_on) == ("2025.2", DRAFT_FROM - dt.timedelta(days=1))
            # Published from a day before its own start: its rules from that day on.
            early = TODAY + dt.timedelta(days=10)
            version, rules_on = package.in_force_for(early, {"2027.1": early})
            assert (version.id, rules_on) == ("2027.1", DRAFT_FROM)
            assert package.in_force_for(early - dt.timedelta(days=1), {"2027.1": early})[0].id == (
                "2025.2"
            )
            # A package without drafts: its own version and the day itself.
            plain = load_package("hungyen")
            assert plain.in_force_for(after, {})[1] == after
    clear_cache()


def test_explain_and_diff_never_present_a_draft_as_in_force(draft_package: Path) -> None:
    from click.testing import CliRunner

    from nguon.cli import main

    runner = CliRunner()
    after = DRAFT_FROM + dt.timedelta(days=5)
    bare = runner.invoke(main, ["rules", "explain", PACKAGE], catch_exceptions=False)
    assert bare.exit_code == 2
    assert "the candidate has no `date_of_birth`: give it with --set date_of_birth=" in bare.output
    born = ["--set", "date_of_birth=2000-01-01"]
    explained = runner.invoke(
        main,
        ["rules", "explain", PACKAGE, *born, "--date", f"{after:%d/%m/%Y}"],
        catch_exceptions=False,
    )
    assert explained.exit_code == 0, explained.output
    first = explained.output.splitlines()[0]
    draft = "(draft, bản dự thảo: applies to a tenant only once published there)"
    assert first == f"{PACKAGE} version 2027.1 {draft} on {after}"
    before = runner.invoke(main, ["rules", "explain", PACKAGE, *born, "--date", f"{TODAY}"])
    assert before.output.splitlines()[0] == f"{PACKAGE} version 2025.2 on {TODAY}"

    compared = runner.invoke(
        main,
        ["rules", "diff", f"{PACKAGE}@2025.2", f"{PACKAGE}@2027.1", "--synthetic", "20"],
        catch_exceptions=False,
    )
    assert compared.exit_code == 0, compared.output
    assert compared.output.startswith(
        f"compared 20 candidates: {PACKAGE} 2025.2 -> {PACKAGE} 2027.1 (draft, bản dự thảo"
    ), compared.output


async def test_a_draft_governs_only_once_published_from_its_effective_date(
    db: Database, draft_package: Path
) -> None:
    world = await build_today_world(db, "publish")
    other = await build_today_world(db, "publish-other")
    await use_package(db, world)
    await use_package(db, other)
    await certified(db, world, [40, 41])
    await certified(db, other, [40])
    old, new = {("2025.2", "eligible")}, {("2027.1", "not_eligible")}

    # Never used before publication, even after the draft's own start.
    assert await outcomes(db, world, TODAY) == old
    assert await outcomes(db, world, EFFECTIVE + dt.timedelta(days=30)) == old

    with pytest.raises(Conflict):
        await publish(db, world, "2027.1", TODAY - dt.timedelta(days=1))
    with pytest.raises(Conflict):
        await publish(db, world, "2025.2", EFFECTIVE)
    with pytest.raises(NotFound):
        await publish(db, world, "2099.9", EFFECTIVE)

    done = await publish(db, world, "2027.1", EFFECTIVE)
    assert (done["version"], done["effective_from"]) == ("2027.1", EFFECTIVE)
    assert await outcomes(db, world, EFFECTIVE - dt.timedelta(days=1)) == old
    # Evaluated before the effective day, they are due again on it at the latest.
    for evaluation in await evaluations(db, world, EFFECTIVE - dt.timedelta(days=1)):
        assert evaluation.next_check is not None and evaluation.next_check <= EFFECTIVE
    assert await outcomes(db, world, EFFECTIVE) == new
    assert await outcomes(db, world, EFFECTIVE + dt.timedelta(days=400)) == new
    # Another tenant on the same package did not publish it.
    assert await outcomes(db, other, EFFECTIVE) == old
    with pytest.raises(Conflict):
        await publish(db, world, "2027.1", EFFECTIVE)

    with db.as_owner():
        async with db.owner.transaction():
            await switch_tenant_in_transaction(world.tenant_id)
            events = (
                await AuditEvent.select()
                .where(
                    AuditEvent.tenant_id == world.tenant_id,
                    AuditEvent.action == "rules.version_published",
                )
                .output(load_json=True)
            )
            rows = await RulesPublication.select().where(
                RulesPublication.tenant_id == world.tenant_id
            )
    assert len(events) == 1 and len(rows) == 1
    event = events[0]
    assert event["actor"] == "test:board" and event["entity_type"] == "rules_publication"
    assert event["before"] == {"package": PACKAGE, "version": "2027.1", "status": "draft"}
    assert event["after"] == {
        "package": PACKAGE,
        "version": "2027.1",
        "effective_from": EFFECTIVE.isoformat(),
        "published_by": "test:board",
        "status": "published",
    }
    assert rows[0]["effective_from"] == EFFECTIVE


def test_the_publish_command_is_audited_as_the_cli(tmp_path: Path, draft_package: Path) -> None:
    from click.testing import CliRunner

    from nguon.cli import main
    from nguon.db.engine import make_engine
    from nguon.db.migrate import migrate

    url = f"sqlite:///{tmp_path / 'publish.sqlite'}"
    engine = make_engine(url)
    database = Database(kind="sqlite", app=engine, owner=engine)

    async def setup() -> World:
        await migrate(url)
        world = await build_today_world(database, "publish-cli")
        await use_package(database, world)
        return world

    world = asyncio.run(setup())
    runner = CliRunner(env={"NGUON_MIGRATE_DATABASE_URL": url, "NGUON_DATABASE_URL": url})
    args = ["rules", "publish", world.slug, f"{PACKAGE}@2027.1", "--effective", str(EFFECTIVE)]
    wrong = runner.invoke(main, [*args[:3], "hungyen@2027.1", *args[4:]])
    assert wrong.exit_code != 0 and "uses package 'hydraft'" in wrong.output
    whatif = ["rules", "whatif", world.slug, f"{PACKAGE}@2027.1", "--on", str(EFFECTIVE)]
    before = runner.invoke(main, whatif)
    assert f"on {EFFECTIVE}: {PACKAGE} 2025.2 -> {PACKAGE} 2027.1" in before.output, before.output
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    # Published: the version in force for the tenant on that day is the draft itself.
    after = runner.invoke(main, whatif)
    assert f"on {EFFECTIVE}: {PACKAGE} 2027.1 -> {PACKAGE} 2027.1" in after.output, after.output
    assert f"published {PACKAGE}@2027.1 for {world.slug}, effective {EFFECTIVE}" in result.output
    again = runner.invoke(main, args)
    assert again.exit_code != 0 and "was published" in again.output

    async def read() -> list[dict]:
        with database.as_owner():
            return (
                await AuditEvent.select(AuditEvent.actor, AuditEvent.after)
                .where(AuditEvent.action == "rules.version_published")
                .output(load_json=True)
            )

    events = asyncio.run(read())
    assert [e["actor"] for e in events] == ["cli:rules-publish"]
    assert events[0]["after"]["effective_from"] == EFFECTIVE.isoformat()


async def test_a_publication_by_another_process_counts_at_the_next_evaluation(
    db: Database, draft_package: Path
) -> None:
    """The trial published with ``nguon rules publish`` while the portal ran, and the
    portal kept the old version: nothing of the publications may be kept per process."""
    world = await build_today_world(db, "publish-elsewhere")
    await use_package(db, world)
    await certified(db, world, [40])
    assert await outcomes(db, world, EFFECTIVE) == {("2025.2", "eligible")}
    # Another process (the CLI) writes the row: this one runs no publish_version.
    with db.as_owner():
        await RulesPublication.insert(
            RulesPublication(
                tenant_id=world.tenant_id,
                package=PACKAGE,
                version="2027.1",
                effective_from=EFFECTIVE,
                published_by="cli:rules-publish",
            )
        )
    assert await outcomes(db, world, EFFECTIVE) == {("2027.1", "not_eligible")}
