"""``nguon rules``: tools for rule authors (test, explain, new, diff)."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import msgspec
import yaml

from nguon.rules.cases import CaseFileError, load_cases, run_package_cases
from nguon.rules.conditions import describe
from nguon.rules.decisions import CandidateEvaluation
from nguon.rules.errors import PackageLoadError, RulesError
from nguon.rules.facts import CandidateFacts, UnitFacts
from nguon.rules.loader import CASES_DIR
from nguon.rules.package import RulesPackage
from nguon.rules.registry import (
    available_packages,
    clear_cache,
    load_package,
    registered_packages,
)
from nguon.rules.scaffold import scaffold_package


def _load(package: str) -> RulesPackage:
    try:
        return load_package(package)
    except (PackageLoadError, RulesError) as error:
        raise click.ClickException(str(error)) from error


class BadOption(click.ClickException):
    """A value the user typed that cannot be used: one line, exit code 2 (as click's own
    usage errors), no traceback."""

    exit_code = 2


def _date(value: str | None, option: str) -> date:
    """A typed date: ISO 2027-01-01 or Vietnamese 01/01/2027 (1/1/2027); today in Vietnam
    when omitted. The one parser is nguon.portal.dates.parse_date, as the portal's forms."""
    from nguon.clock import today_in_vietnam
    from nguon.portal.dates import parse_date

    if not value:
        return today_in_vietnam()
    try:
        return parse_date(value)
    except ValueError as error:
        if "not a day/month/year date" in str(error):
            raise BadOption(
                f"{option} {value!r} is not a date: write YYYY-MM-DD or dd/mm/yyyy"
            ) from None
        raise BadOption(f"{option} {value!r} is a day that does not exist ({error})") from None


@click.group("rules")
def rules() -> None:
    """Rules packages: test, explain, scaffold and compare them."""


@rules.command("test")
@click.argument("package", required=False)
@click.option("--quiet", "-q", is_flag=True, help="Print failures and the summary only.")
def test_command(package: str | None, quiet: bool) -> None:
    """Run load checks and scenario cases of PACKAGE (id or folder; all when omitted).

    Each case is listed with the number of expectations it checked."""
    targets = [package] if package else available_packages()
    failed = 0
    for target in targets:
        try:
            loaded = load_package(target)
        except (PackageLoadError, RulesError) as error:
            click.echo(f"FAIL {target}: {error}")
            failed += 1 + _check_cases_alone(target)
            continue
        results = run_package_cases(loaded)
        bad = [r for r in results if not r.passed]
        checked = 0
        for result in results:
            if result.case == "(file)":
                for failure in result.failures:
                    click.echo(f"FAIL {loaded.id}: {failure}")
                continue
            checked += result.expectations
            where = f"{result.file}:{result.line}"
            plural = "s" if result.expectations != 1 else ""
            if result.passed and not quiet:
                click.echo(
                    f"ok   {where}: {result.case} ({result.expectations} expectation{plural})"
                )
            for failure in result.failures:
                click.echo(f"FAIL {loaded.id}: {where}: case '{result.case}': {failure}")
        cases = [r for r in results if r.case != "(file)"]
        passing = sum(1 for r in cases if r.passed)
        unreadable = len(results) - len(cases)
        click.echo(
            f"{loaded.id}: package loads; {passing} of {len(cases)} cases pass, "
            f"{checked} expectations checked"
            + (f"; {unreadable} case file(s) refused" if unreadable else "")
        )
        failed += len(bad)
    if failed:
        sys.exit(1)


def _check_cases_alone(target: str) -> int:
    """The case files of a package that did not load, checked without it (unknown keys,
    empty expectations, impossible dates): both sets of problems in one run. Returns how
    many case files were refused."""
    folder = Path(target)
    if not folder.is_dir():
        registered = registered_packages().get(target)
        folder = registered if isinstance(registered, Path) else Path(target)
    refused = 0
    for path in sorted((folder / CASES_DIR).glob("*.yaml")) if folder.is_dir() else []:
        try:
            load_cases(path)
        except CaseFileError as error:
            refused += 1
            for problem in error.problems:
                click.echo(f"FAIL {target}: {CASES_DIR}/{problem}")
    if folder.is_dir():
        click.echo(
            f"{target}: the cases were checked without the package (their decisions, reasons "
            "and codes are checked once it loads)"
        )
    return refused


_DATE_FACTS = frozenset(
    field.name
    for field in msgspec.structs.fields(CandidateFacts)
    if field.type is date or date in getattr(field.type, "__args__", ())
)


def _first_case(file: Path | None) -> tuple[str, str] | None:
    """The name and date of the first case when ``file`` is a cases file."""
    if file is None:
        return None
    raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    cases = raw.get("cases") if isinstance(raw, dict) else None
    if not cases or not isinstance(cases[0], dict):
        return None
    return str(cases[0].get("name", "")), str(cases[0].get("date", ""))


def _facts_from(file: Path | None, options: tuple[str, ...]) -> tuple[dict[str, Any], dict]:
    candidate: dict[str, Any] = {}
    unit: dict[str, Any] = {}
    if file is not None:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if "cases" in raw:  # a cases file: explain its first case
            raw = raw["cases"][0]
        candidate.update(raw.get("candidate", raw))
        unit.update(raw.get("unit", {}))
        for key in ("unit", "name", "date", "expect", "period", "chain"):
            candidate.pop(key, None)
    for option in options:
        key, _, value = option.partition("=")
        if key in _DATE_FACTS:
            parsed = _date(value, f"--set {key}=")
        else:
            try:
                parsed = yaml.safe_load(value)
            except (yaml.YAMLError, ValueError):  # 1995-13-01 looks like a date to YAML
                raise BadOption(f"--set {option!r}: the value cannot be read") from None
        target = unit if key in ("kind", "bloc") else candidate
        target[key] = parsed if not isinstance(parsed, date) else parsed.isoformat()
    return candidate, unit


@rules.command("explain")
@click.argument("package")
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(exists=True, path_type=Path),
    help="YAML/JSON with 'candidate' (and 'unit') facts, or a cases file (its first case,"
    " on its date unless --date is given).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A candidate fact (or kind=/bloc= of the unit); repeatable.",
)
@click.option(
    "--date", "on", help="Evaluation date (YYYY-MM-DD or dd/mm/yyyy); today when omitted."
)
def explain_command(
    package: str, facts_file: Path | None, settings: tuple[str, ...], on: str | None
) -> None:
    """Show every rule of the version in force, whether it fired, and its clause."""
    from nguon.rules.engine.thread import get_engine_thread
    from nguon.rules.service import evaluate_sync, fire_plain, prepare

    loaded = _load(package)
    case = _first_case(facts_file)
    if case is not None:
        # A cases file: its first case, on its own date unless --date says otherwise.
        on = on or case[1] or None
        click.echo(f"facts: case '{case[0]}' of {facts_file.name}, on {on or 'today'}")
    day = _date(on, "--date")
    candidate_raw, unit_raw = _facts_from(facts_file, settings)
    candidate_raw.setdefault("person_ref", "explain")
    unit_raw.setdefault("kind", _default_lister(loaded))
    for key, known in (("kind", loaded.unit_kinds), ("bloc", loaded.blocs)):
        value = unit_raw.get(key)
        if value is not None and value not in known:
            raise click.ClickException(
                f"unknown unit {key} {value!r} in {loaded.id} (known: {', '.join(sorted(known))})"
            )
    try:
        candidate = msgspec.convert(candidate_raw, CandidateFacts, strict=False)
        unit = msgspec.convert(unit_raw, UnitFacts, strict=False)
        batch = prepare(loaded, [candidate], unit, day)
    except msgspec.ValidationError as error:
        raise BadOption(_facts_problem(str(error))) from error
    except (RulesError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{loaded.id} version {_version_label(loaded, batch.snapshot.version)} on {day}")
    in_force = [
        f"{document.number}"
        for code, document in loaded.documents.items()
        if loaded.document_in_force(code, day)
    ]
    click.echo("documents in force: " + (", ".join(in_force) or "none"))
    click.echo("parameters:")
    for name in loaded.parameters:
        _echo_parameter(loaded, name, day)
    if batch.problems[0]:
        click.echo(f"invalid facts: {', '.join(batch.problems[0])}")
        sys.exit(1)
    facts = batch.sound_facts[0]
    click.echo("facts: " + json.dumps(facts, ensure_ascii=False, sort_keys=True))
    fired = get_engine_thread().submit("fire", batch.snapshot, [facts])[0]
    if fired != fire_plain(batch.snapshot, [facts])[0]:
        raise click.ClickException("the engine and the plain-Python reference disagree")
    for index, rule in enumerate(batch.snapshot.rules):
        mark = "FIRED" if index in fired else "  -  "
        click.echo(
            f"[{mark}] {rule.id} -> {rule.outcome} ({rule.reason}) for {', '.join(rule.decisions)}"
        )
        click.echo(f"         when {describe(rule.condition, batch.snapshot.parameters)}")
        for clause_id in rule.clauses or (rule.clause,):
            clause = loaded.clause(clause_id)
            document = loaded.documents.get(clause.document)
            number = document.number if document else clause.document
            marks = " [paraphrase]" if not clause.verbatim else ""
            if clause.confidence != "H":
                marks += f" [confidence {clause.confidence}]"
            click.echo(f"         {clause_id} — {number}, {clause.ref}{marks}: {clause.text}")
        if rule.inferred:
            click.echo(f"         INFERENCE (confidence L): {rule.inference}")
    click.echo("decisions:")
    result = evaluate_sync(loaded, [candidate], unit, day)[0]
    for name, decision in result.decisions.items():
        reasons = "; ".join(f"{r.code}: {r.message_vi}" for r in decision.reasons)
        click.echo(f"  {name}: {decision.outcome}" + (f" — {reasons}" if reasons else ""))
        for reason in decision.reasons:
            note = loaded.inference_note(reason.rule_id, reason.clause_id)
            if note:
                click.echo(f"      {reason.code} is an inference (L): {note}")


def _facts_problem(message: str) -> str:
    """msgspec's "Object missing required field `date_of_birth`" as a rule author can act on."""
    missing = re.search(r"missing required field `(\w+)`", message)
    if missing:
        name = missing.group(1)
        return (
            f"the candidate has no `{name}`: give it with --set {name}=… "
            "or in a --facts file (as a case's `candidate`: docs/rule-authors.md, 'A case')"
        )
    return f"the facts cannot be read: {message}"


def _echo_parameter(package: RulesPackage, name: str, day: date) -> None:
    """One parameter's value on ``day``, the package and version it comes from, and its
    source: "min_age_months = 216 (national 2025.2, since 2021-07-30; H: Quy định …)"."""
    try:
        found = package.parameter_provenance(name, day)
    except RulesError as error:
        click.echo(f"  {name}: {error}")
        return
    last = f" to {found.valid_to - timedelta(days=1)} (its last day)" if found.valid_to else ""
    span = f"since {found.valid_from}{last}"
    click.echo(f"  {name} = {found.value} ({found.package} version {found.version or '—'}, {span})")
    click.echo(f"      source ({found.confidence}): {found.reference}")
    if found.note:
        click.echo(f"      note: {found.note}")


@rules.command("new")
@click.argument("province")
@click.option(
    "--dir",
    "root",
    type=click.Path(path_type=Path),
    default=Path("rules"),
    show_default=True,
    help="Folder that receives the new package folder.",
)
@click.option(
    "--title",
    required=True,
    help='Title of the package, in Vietnamese with diacritics ("Tỉnh Thái Bình").',
)
def new_command(province: str, root: Path, title: str) -> None:
    """Scaffold a package PROVINCE that extends the national baseline, with every file the
    rule authors' guide lists and an onboarding manifest (tenant.toml)."""
    from nguon.rules.bundled import RULES_ROOT
    from nguon.rules.registry import RULES_PATH_VARIABLE
    from nguon.rules.scaffold import has_diacritics

    try:
        folder = scaffold_package(province, root, title)
    except (FileExistsError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created {folder}")
    if not has_diacritics(title):
        click.echo(f"warning: the title {title!r} has no diacritics; write it as people read it")
    click.echo(f"next: nguon rules test {folder}")
    if root.resolve() != RULES_ROOT.resolve():
        click.echo(
            f"to onboard a province with it: {RULES_PATH_VARIABLE}={root} "
            f"nguon tenant onboard {folder / 'tenant.toml'}"
        )
    else:
        click.echo(f"to onboard a province with it: nguon tenant onboard {folder / 'tenant.toml'}")


def _default_lister(package: RulesPackage) -> str:
    """The unit kind facts are evaluated for when none is given: the package's first cell
    kind that holds people, else its first kind that holds people, else its first kind."""
    specs = list(package.unit_kind_specs.values())
    for wanted in (lambda k: k.holds_people and k.is_cell, lambda k: k.holds_people, bool):
        found = next((spec.code for spec in specs if wanted(spec)), None)
        if found is not None:
            return found
    return "unit"


def _diff_candidates(
    cases_file: Path | None,
    synthetic: int,
    on: date,
    seed: int,
    kind: str,
    package: RulesPackage | None = None,
) -> list[tuple[CandidateFacts, UnitFacts, date]]:
    if cases_file is not None:
        from nguon.rules.cases import candidate_from

        return [(candidate_from(c), c.unit, c.on) for c in load_cases(cases_file, package)]
    from nguon.rules.synthetic import synthetic_candidates

    unit = UnitFacts(kind=kind)
    return [(c, unit, on) for c in synthetic_candidates(synthetic, on, seed)]


DRAFT_MARK = "(draft, bản dự thảo: applies to a tenant only once published there)"


def _version_label(package: RulesPackage, version_id: str) -> str:
    """``2027.1 (draft, bản dự thảo: …)`` for an unpublished draft, else the id: a draft is
    never presented as the version in force."""
    drafts = {version.id for version in package.versions if version.draft}
    return f"{version_id} {DRAFT_MARK}" if version_id in drafts else version_id


def _package_and_day(spec: str) -> tuple[RulesPackage, date | None]:
    """``PACKAGE`` or ``PACKAGE@VERSION``: the package, and the first day of that version
    (whose rules and parameters then apply), or None for the evaluation date's."""
    name, at, version_id = spec.rpartition("@")
    if not at:
        return _load(spec), None
    package = _load(name)
    try:
        return package, package.version_period(version_id)[0]
    except RulesError as error:
        known = ", ".join(v.id for v in package.versions)
        raise click.ClickException(f"{error} (versions: {known})") from error


def _why(
    old_package: RulesPackage,
    before: CandidateEvaluation,
    new_package: RulesPackage,
    after: CandidateEvaluation,
    name: str,
) -> list[str]:
    """The reasons a changed decision lost (-) and gained (+), each with its clause."""
    from nguon.rules.whatif import basis_line, reason_changes

    was = before.decisions[name].reasons if name in before.decisions else []
    now = after.decisions[name].reasons if name in after.decisions else []
    lost, gained = reason_changes(old_package, was, new_package, now)
    return [f"      {basis_line(sign, b)}" for sign, bs in (("-", lost), ("+", gained)) for b in bs]


@rules.command("diff")
@click.argument("old")
@click.argument("new")
@click.option(
    "--cases",
    "cases_file",
    type=click.Path(exists=True, path_type=Path),
    help="A cases YAML file whose candidates are compared.",
)
@click.option(
    "--synthetic",
    default=1000,
    show_default=True,
    help="Without --cases: how many generated candidates to compare.",
)
@click.option("--date", "on", help="Evaluation date for generated candidates.")
@click.option("--seed", default=7, show_default=True)
@click.option("--show", default=10, show_default=True, help="Changed candidates to list.")
def diff_command(
    old: str,
    new: str,
    cases_file: Path | None,
    synthetic: int,
    on: str | None,
    seed: int,
    show: int,
) -> None:
    """Show which outcomes change between OLD and NEW: packages (ids or folders), or
    versions of them written PACKAGE@VERSION (hungyen@2024.1 hungyen@2025.2), whose rules
    and parameters are applied to the same people on the same date."""
    from nguon.rules.service import evaluate_sync

    clear_cache()
    (old_package, old_day), (new_package, new_day) = _package_and_day(old), _package_and_day(new)
    day = _date(on, "--date")
    changes: Counter[tuple[str, str, str]] = Counter()
    examples: list[str] = []
    total = 0
    lister = _default_lister(old_package)
    try:
        compared = _diff_candidates(cases_file, synthetic, day, seed, lister, old_package)
    except RulesError as error:
        raise click.ClickException(str(error)) from error
    used: tuple[set[str], set[str]] = (set(), set())
    for candidate, unit, when in compared:
        for side, (package, first) in enumerate(((old_package, old_day), (new_package, new_day))):
            used[side].add(package.version_on(first or when).id)
        try:
            before = evaluate_sync(old_package, [candidate], unit, when, rules_on=old_day)[0]
            after = evaluate_sync(new_package, [candidate], unit, when, rules_on=new_day)[0]
        except RulesError as error:
            raise click.ClickException(str(error)) from error
        total += 1
        for name in sorted(set(before.decisions) | set(after.decisions)):
            was = before.decisions[name].outcome if name in before.decisions else "absent"
            now = after.decisions[name].outcome if name in after.decisions else "absent"
            if was != now:
                changes[(name, was, now)] += 1
                if len(examples) < show:
                    examples.append(f"  {candidate.person_ref} on {when}: {name} {was} -> {now}")
                    examples += _why(old_package, before, new_package, after, name)
    # The versions each side applied: one per case date with --cases (drafts marked).
    sides = [
        f"{package.id} "
        + ", ".join(
            _version_label(package, version_id)
            for version_id in sorted(versions or {package.version_on(first or day).id})
        )
        for package, first, versions in (
            (old_package, old_day, used[0]),
            (new_package, new_day, used[1]),
        )
    ]
    click.echo(f"compared {total} candidates: {sides[0]} -> {sides[1]}")
    if not changes:
        click.echo("no outcome changes")
        return
    for (name, was, now), count in sorted(changes.items()):
        click.echo(f"{name}: {was} -> {now}: {count}")
    click.echo("examples:")
    for line in examples:
        click.echo(line)


@rules.command("whatif")
@click.argument("tenant")
@click.argument("draft")
@click.option(
    "--on", "on", help="The day the people are evaluated (YYYY-MM-DD or dd/mm/yyyy); today."
)
def whatif_command(tenant: str, draft: str, on: str | None) -> None:
    """Evaluate the real people of TENANT (slug) under its rules package and under DRAFT (a
    package folder, or PACKAGE@VERSION), reading only: per unit and per step, who changes
    outcome, and the reasons with their clauses on each side."""
    import asyncio

    from nguon.db.binding import using_engine
    from nguon.db.engine import make_engine
    from nguon.errors import NotFound
    from nguon.rules.whatif import compare, render
    from nguon.rules.whatif_tenant import tenant_people
    from nguon.settings import load_settings

    day = _date(on, "--on")

    async def read() -> tuple[str, list, dict]:
        from nguon.pipeline.publication import published_versions
        from nguon.tenancy.context import tenant_context
        from nguon.tenancy.tables import Tenant

        with using_engine(make_engine(load_settings().migrate_database_url)):
            package_id, people = await tenant_people(tenant, day)
            row = await Tenant.select(Tenant.id).where(Tenant.slug == tenant).first()
            with tenant_context(row["id"]):
                return package_id, people, await published_versions(package_id)

    try:
        package_id, people, published = asyncio.run(read())
    except NotFound as error:
        raise click.ClickException(str(error)) from error
    clear_cache()
    current = _load(package_id)
    proposed, proposed_day = _package_and_day(draft)
    try:
        # The tenant's version in force: its published drafts count, the others do not.
        _, current_day = current.in_force_for(day, published)
        report = compare(current, proposed, people, day, current_day, after_rules_on=proposed_day)
    except RulesError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"what-if for tenant {tenant} (read only)")
    for line in render(report):
        click.echo(line)


PUBLISH_ACTOR_LABEL = "cli:rules-publish"


@rules.command("publish")
@click.argument("tenant")
@click.argument("version")
@click.option(
    "--effective",
    required=True,
    help="The day the version governs the tenant (YYYY-MM-DD or dd/mm/yyyy).",
)
def publish_command(tenant: str, version: str, effective: str) -> None:
    """Publish draft VERSION (PACKAGE@VERSION, the package being TENANT's) for TENANT
    (slug) from --effective on: an audited act; its people are evaluated under it from
    that day."""
    from nguon.audit.service import Actor
    from nguon.db.binding import current_engine
    from nguon.errors import DomainError
    from nguon.pipeline.publication import publish_version
    from nguon.tenancy.cli import run_as_owner
    from nguon.tenancy.context import tenant_context
    from nguon.tenancy.scoped import switch_tenant_in_transaction
    from nguon.tenancy.tables import Tenant

    package_id, _, version_id = version.rpartition("@")
    if not package_id or not version_id:
        raise click.ClickException(f"{version!r}: write PACKAGE@VERSION")
    day = _date(effective, "--effective")

    async def work() -> dict:
        row = await (
            Tenant.select(Tenant.id, Tenant.rules_package).where(Tenant.slug == tenant).first()
        )
        if row is None:
            raise click.ClickException(f"unknown tenant {tenant!r}")
        if row["rules_package"] != package_id:
            raise click.ClickException(
                f"tenant {tenant!r} uses package {row['rules_package']!r}, not {package_id!r}"
            )
        with tenant_context(row["id"]):
            async with current_engine().transaction():
                await switch_tenant_in_transaction(row["id"])
                return await publish_version(Actor(label=PUBLISH_ACTOR_LABEL), version_id, day)

    try:
        done = run_as_owner(work())
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(
        f"published {done['package']}@{done['version']} for {tenant}, "
        f"effective {done['effective_from']}"
    )
