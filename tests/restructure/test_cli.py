"""``nguon tenant restructure FILE [--dry-run]`` as an operator runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.cli import main
from nguon.db.migrate import migrate
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.onboarding.conftest import fresh_slug
from tests.restructure.conftest import MANIFEST, RESTRUCTURING


def _restructure_a_province(runner: CliRunner, tmp_path: Path, slug: str) -> None:
    manifest = tmp_path / f"{slug}.toml"
    manifest.write_text(MANIFEST.format(slug=slug), encoding="utf-8")
    onboarded = runner.invoke(main, ["tenant", "onboard", str(manifest)])
    assert onboarded.exit_code == 0, onboarded.output
    path = tmp_path / "2025-07-01.toml"
    path.write_text(RESTRUCTURING.format(slug=slug), encoding="utf-8")

    dry = runner.invoke(main, ["tenant", "restructure", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines() == [
        f"Dry run: {path} would restructure {slug} on 2025-07-01 — nothing was written.",
        "  reference: Nghị quyết 1666/NQ-UBTVQH15 ngày 16/6/2025; Quy định 294-QĐ/TW",
        "  actions: 2 open, 5 move, 2 rename, 1 merge, 2 close",
        "  units: 10 created, 13 closed (10 with a successor)",
        "  following their successors: 0 candidates, 0 Party members, 0 lists, "
        "0 admission plans, 0 courses",
        "  lists of units left in place, re-routed: 0",
        "  memberships added on successors: 2",
    ]
    listed = runner.invoke(main, ["tenant", "list"])
    assert any(line.startswith(slug) and "units=16" in line for line in listed.output.splitlines())

    applied = runner.invoke(main, ["tenant", "restructure", str(path)])
    assert applied.exit_code == 0, applied.output
    assert applied.output.startswith(f"Restructured {slug} on 2025-07-01 from {path}")
    listed = runner.invoke(main, ["tenant", "list"])
    assert any(line.startswith(slug) and "units=26" in line for line in listed.output.splitlines())

    again = runner.invoke(main, ["tenant", "restructure", str(path)])
    assert again.exit_code == 0, again.output
    assert f"{path} was already applied to {slug} on " in again.output
    assert again.output.rstrip().endswith("nothing changed.")

    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'tenant = "{slug}"\neffective_on = 2026-01-01\n\n[[close]]\ncode = "hy.khong-co"\n',
        encoding="utf-8",
    )
    failed = runner.invoke(main, ["tenant", "restructure", str(bad)])
    assert failed.exit_code == 1
    assert failed.stderr.splitlines() == [
        f"{bad}: cannot restructure — nothing was written. 1 problem(s):",
        f"{bad}:5: code hy.khong-co: unknown unit code",
    ]
    assert "Traceback" not in failed.output

    unreadable = tmp_path / "unreadable.toml"
    unreadable.write_text("tenant = \n", encoding="utf-8")
    failed = runner.invoke(main, ["tenant", "restructure", str(unreadable)])
    assert failed.exit_code == 1 and f"{unreadable}:1: not valid TOML" in failed.stderr

    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('tenant = "khong-co"\neffective_on = 2025-07-01\n', encoding="utf-8")
    failed = runner.invoke(main, ["tenant", "restructure", str(elsewhere)])
    assert failed.exit_code == 1
    assert f"{elsewhere}:1: unknown tenant 'khong-co'" in failed.stderr


def test_restructure_from_the_command_line_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    asyncio.run(migrate(url))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"NGUON_DATABASE_URL": url, "NGUON_SECRET_KEY": "cli-test-secret"})
    _restructure_a_province(runner, tmp_path, "hungyen")


@pytest.mark.postgres
def test_restructure_from_the_command_line_on_postgres_as_the_owner(
    postgres_database: Database, tmp_path: Path
) -> None:
    runner = CliRunner(
        env={
            "NGUON_DATABASE_URL": role_url(TEST_ROLES.app, TEST_DATABASE),
            "NGUON_MIGRATE_DATABASE_URL": role_url(TEST_ROLES.owner, TEST_DATABASE),
            "NGUON_SECRET_KEY": "cli-test-secret",
        }
    )
    _restructure_a_province(runner, tmp_path, fresh_slug("cli-rs"))
