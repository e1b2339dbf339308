"""``nguon tenant``: onboard a province, list tenants, import a large hierarchy, restructure
a tenant's tree, merge two tenants.

These are operator actions: they run as the database owner (NGUON_MIGRATE_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import click

from nguon.db.binding import using_engine
from nguon.db.engine import make_engine
from nguon.org.import_units import UnitImportError, import_units
from nguon.org.restructure import (
    RestructuringFileError,
    RestructuringRefused,
    RestructuringReport,
    restructure_file,
)
from nguon.settings import load_settings
from nguon.tenancy.manifest import ManifestError
from nguon.tenancy.merge import MergeRefused, MergeReport, merge_tenants
from nguon.tenancy.onboarding import OnboardingReport, list_tenants, onboard_file

T = TypeVar("T")


def run_as_owner(work: Awaitable[T]) -> T:
    try:
        settings = load_settings()
    except SystemExit:
        close = getattr(work, "close", None)
        if close is not None:
            close()  # never started: no "coroutine was never awaited" after the one-line error
        raise

    async def runner() -> T:
        with using_engine(make_engine(settings.migrate_database_url)):
            return await work

    return asyncio.run(runner())


def _fail(title: str, problems: list[str]) -> None:
    click.echo(f"{title} — nothing was written. {len(problems)} problem(s):", err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


@click.group()
def tenant() -> None:
    """Tenants (provinces): onboard from a manifest, list, import units, restructure."""


@tenant.command()
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def onboard(manifest: Path) -> None:
    """Create or complete a tenant from a MANIFEST (TOML), in one transaction."""
    try:
        report = run_as_owner(onboard_file(manifest))
    except ManifestError as error:
        _fail(f"{manifest}: cannot onboard", error.problems)
    _print_report(report)


def _print_report(report: OnboardingReport) -> None:
    if not report.changed:
        click.echo(
            f"Tenant {report.slug} already matches the manifest: nothing changed "
            f"({report.units_unchanged} units, {len(report.users_unchanged)} users, "
            f"{report.memberships_unchanged} memberships unchanged)."
        )
        _print_next_steps(report)
        return
    verb = "created" if report.tenant_created else "updated"
    click.echo(f"Tenant {report.slug} {verb} (id {report.tenant_id}).")
    click.echo(f"  units: {len(report.units_created)} created, {report.units_unchanged} unchanged")
    click.echo(
        f"  users: {len(report.users_created)} created, {len(report.users_unchanged)} unchanged"
    )
    click.echo(
        f"  memberships: {report.memberships_created} created, "
        f"{report.memberships_unchanged} unchanged"
    )
    for username, password in report.generated_passwords.items():
        click.echo(f"  generated password for {username}: {password}  (shown once; store it now)")
    _print_next_steps(report)


def _print_next_steps(report: OnboardingReport) -> None:
    if report.next_steps:
        click.echo("Next steps:")
        for step in report.next_steps:
            click.echo(f"  {step}")


@tenant.command("list")
def list_command() -> None:
    """List tenants with their rules package and sizes."""
    tenants = run_as_owner(list_tenants())
    if not tenants:
        click.echo("No tenants yet.")
        return
    for summary in tenants:
        line = (
            f"{summary.slug:<16} {summary.name:<32} rules={summary.rules_package:<12} "
            f"units={summary.units:<6} users={summary.users}"
        )
        if summary.merged_into is not None:
            line += f"  merged into {summary.merged_into} on {summary.merged_on}"
        click.echo(line)


@tenant.command("import-units")
@click.argument("tenant_slug", metavar="TENANT")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_units_command(tenant_slug: str, file: Path) -> None:
    """Import units into TENANT from a CSV or XLSX FILE (all rows or none)."""
    try:
        report = run_as_owner(import_units(tenant_slug, file))
    except UnitImportError as error:
        _fail(f"{file}: cannot import", error.problems)
    click.echo(
        f"Imported {file.name} into {report.tenant}: {report.created} units created, "
        f"{report.unchanged} unchanged ({report.rows} rows)."
    )


@tenant.command("merge")
@click.argument("source")
@click.option("--into", "target", required=True, metavar="TARGET", help="The tenant that stays.")
@click.option(
    "--on",
    "on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    help="The day the provinces became one (YYYY-MM-DD).",
)
@click.option(
    "--structure",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="A restructuring file (TOML or XLSX) applied to TARGET on DATE after the move.",
)
@click.option("--dry-run", is_flag=True, help="Show what would move and every conflict.")
def merge_command(
    source: str, target: str, on: dt.datetime, structure: Path | None, dry_run: bool
) -> None:
    """Move every row of tenant SOURCE into TARGET (ids unchanged) and close SOURCE."""
    try:
        report = run_as_owner(
            merge_tenants(source, target, on.date(), structure=structure, dry_run=dry_run)
        )
    except MergeRefused as error:
        _fail(f"Cannot merge {source} into {target}", error.problems)
    _print_merge(report)
    if report.conflicts:
        raise SystemExit(1)


def _print_merge(report: MergeReport) -> None:
    if report.already_merged:
        if not report.total:
            click.echo(
                f"Tenant {report.source} was already merged into {report.target} on "
                f"{report.merged_on}: nothing changed."
            )
            return
        verb = "would move" if report.dry_run else "moved"
        click.echo(
            f"Tenant {report.source} was already merged into {report.target} on "
            f"{report.merged_on}; {report.total} row(s) written under it since then {verb} "
            f"to {report.target}."
        )
    elif report.dry_run:
        click.echo(
            f"Dry run: merging {report.source} into {report.target} on {report.merged_on} "
            f"would move {report.total} rows. Nothing was written."
        )
    else:
        click.echo(
            f"Merged {report.source} into {report.target} on {report.merged_on}: "
            f"{report.total} rows moved; {report.source} is closed and its address points "
            f"to {report.target}."
        )
    for table, count in report.rows.items():
        if count:
            click.echo(f"  {table:<20} {count}")
    if report.admins_ended:
        click.echo(
            f"Tenant administrators of {report.source} no longer administer the merged "
            f"province (grant roles again as {report.target}'s admin): "
            + ", ".join(report.admins_ended)
        )
    if report.restructuring is not None and report.structure is not None:
        _print_restructuring(Path(report.structure), report.restructuring)
    if report.conflicts:
        click.echo(f"{len(report.conflicts)} conflict(s) to resolve before merging:", err=True)
        for conflict in report.conflicts:
            click.echo(f"  {conflict}", err=True)
    elif report.dry_run:
        click.echo("No conflicts.")


@tenant.command("restructure")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def restructure_command(file: Path, dry_run: bool) -> None:
    """Restructure a tenant's tree from FILE (TOML or XLSX; the tenant is named in it).

    All of it or nothing; every problem is printed as FILE:LINE (or FILE:SHEET:ROW).
    """
    try:
        report = run_as_owner(restructure_file(file, dry_run=dry_run))
    except (RestructuringFileError, RestructuringRefused) as error:
        click.echo(
            f"{file}: cannot restructure — nothing was written. {len(error.problems)} problem(s):",
            err=True,
        )
        for problem in error.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    _print_restructuring(file, report)


def _print_restructuring(file: Path, report: RestructuringReport) -> None:
    summary = report.summary
    if report.already_applied is not None:
        applied = report.already_applied
        click.echo(
            f"{file} was already applied to {summary.tenant} on "
            f"{applied.applied_at:%Y-%m-%d %H:%M} UTC (restructuring {applied.id}): "
            "nothing changed."
        )
        return
    if report.dry_run:
        click.echo(
            f"Dry run: {file} would restructure {summary.tenant} on {summary.effective_on} "
            "— nothing was written."
        )
    else:
        click.echo(
            f"Restructured {summary.tenant} on {summary.effective_on} from {file} "
            f"(restructuring {report.restructuring_id})."
        )
    if summary.reference:
        click.echo(f"  reference: {summary.reference}")
    actions = ", ".join(f"{count} {name}" for name, count in summary.actions.items())
    click.echo(f"  actions: {actions}")
    click.echo(
        f"  units: {summary.units_created} created, {summary.units_closed} closed "
        f"({summary.successions} with a successor)"
    )
    click.echo(
        f"  following their successors: {summary.candidates} candidates, {summary.members} "
        f"Party members, {summary.lists} lists, {summary.plans} admission plans, "
        f"{summary.courses} courses"
    )
    click.echo(f"  lists of units left in place, re-routed: {summary.lists_rerouted}")
    click.echo(f"  memberships added on successors: {summary.memberships}")
