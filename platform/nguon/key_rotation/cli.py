"""``nguon secrets rotate``: move national ID numbers and plugin secrets under the current
NGUON_SECRET_KEY while NGUON_SECRET_KEY_PREVIOUS still opens the old ones."""

from __future__ import annotations

import click

from nguon.accounts.tokens import DEFAULT_LIFETIME
from nguon.key_rotation.rotate import RotationReport, TenantProgress, rotate, rotation_under_way
from nguon.tenancy.cli import run_as_owner


@click.group()
def secrets() -> None:
    """The secret key: rotate it without downtime."""


_shown: dict[str, str] = {}
"""The last progress line printed per tenant: the summary does not print it again."""


def _show(progress: TenantProgress) -> None:
    done = progress.total - progress.remaining
    line = (
        f"{progress.slug}: {done}/{progress.total} national ID numbers under the current key "
        f"({progress.rekeyed} re-keyed by this run, {progress.remaining} to go)"
    )
    if _shown.get(progress.slug) != line:
        click.echo(line)
    _shown[progress.slug] = line


@secrets.command("rotate")
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows re-keyed per transaction.",
)
def rotate_command(batch_size: int) -> None:
    """Re-encrypt national ID numbers and re-key their lookups under NGUON_SECRET_KEY.

    Safe to stop and run again: it continues where it stopped, each row once.
    """
    _shown.clear()
    if not rotation_under_way():
        click.echo(
            "NGUON_SECRET_KEY_PREVIOUS is not set: only values stored without a key id "
            "(before key ids existed) are moved under the current key."
        )
    report: RotationReport = run_as_owner(rotate(batch_size, _show))
    unreadable = 0
    for tenant in report.tenants:
        _show(tenant)
        if tenant.plugin_secrets:
            click.echo(f"{tenant.slug}: {tenant.plugin_secrets} plugin setting(s) re-sealed")
        unreadable += tenant.unreadable
    if unreadable:
        raise click.ClickException(
            f"{unreadable} national ID number(s) open with neither NGUON_SECRET_KEY nor "
            "NGUON_SECRET_KEY_PREVIOUS: keep the previous key and check which key wrote them."
        )
    hours = int(DEFAULT_LIFETIME.total_seconds() // 3600)
    click.echo(
        f"Done: every tenant's data is under the current key (key id {report.key_id}). "
        f"Remove NGUON_SECRET_KEY_PREVIOUS once every server has run with the new key for "
        f"{hours} hours (API tokens signed with the old key expire by then), and restart them."
    )
