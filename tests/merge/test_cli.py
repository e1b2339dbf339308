"""``nguon tenant merge`` as an operator runs it: dry run, merge, the same merge again."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.cli import main
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.merge.conftest import manifest_text
from tests.merge.test_merge_structure import STRUCTURE
from tests.onboarding.conftest import TENANTS
from tests.onboarding.test_cli import sqlite_env  # noqa: F401 (fixture)

_cli_runs = itertools.count(1)


def test_merge_thaibinh_into_hungyen_from_the_command_line(
    sqlite_env: dict[str, str],  # noqa: F811
) -> None:
    runner = CliRunner(env=sqlite_env)
    for name in ("hungyen.toml", "thaibinh.toml"):
        onboarded = runner.invoke(main, ["tenant", "onboard", str(TENANTS / name)])
        assert onboarded.exit_code == 0, onboarded.output
    command = ["tenant", "merge", "thaibinh", "--into", "hungyen", "--on", "2025-07-01"]

    dry = runner.invoke(main, [*command, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: merging thaibinh into hungyen on 2025-07-01 would move" in dry.output
    assert "  org_unit             171\n" in dry.output
    assert "No conflicts." in dry.output
    listed = runner.invoke(main, ["tenant", "list"]).output
    assert "units=171" in listed

    merged = runner.invoke(main, command)
    assert merged.exit_code == 0, merged.output
    assert "Merged thaibinh into hungyen on 2025-07-01:" in merged.output
    assert "thaibinh is closed and its address points to hungyen" in merged.output
    assert (
        "Tenant administrators of thaibinh no longer administer the merged province (grant"
        " roles again as hungyen's admin): admin.thaibinh\n"
    ) in merged.output
    listed = runner.invoke(main, ["tenant", "list"]).output.splitlines()
    assert "units=422" in listed[0] and "merged" not in listed[0]
    assert listed[1].endswith("units=0      users=0  merged into hungyen on 2025-07-01")

    again = runner.invoke(main, command)
    assert again.exit_code == 0, again.output
    assert again.output == (
        "Tenant thaibinh was already merged into hungyen on 2025-07-01: nothing changed.\n"
    )

    back = runner.invoke(
        main, ["tenant", "merge", "hungyen", "--into", "thaibinh", "--on", "2025-07-01"]
    )
    assert back.exit_code == 1
    assert "Cannot merge hungyen into thaibinh — nothing was written. 1 problem(s):" in back.stderr
    assert "tenant 'thaibinh' was merged into 'hungyen' on 2025-07-01" in back.stderr


def _merge_with_a_structure_file(runner: CliRunner, tmp_path: Path, tb: str, hy: str) -> None:
    for prefix, slug in (("hy", hy), ("tb", tb)):
        manifest = tmp_path / f"{slug}.toml"
        manifest.write_text(manifest_text(prefix, slug), encoding="utf-8")
        onboarded = runner.invoke(main, ["tenant", "onboard", str(manifest)])
        assert onboarded.exit_code == 0, onboarded.output
    structure = tmp_path / "hop-nhat.toml"
    structure.write_text(STRUCTURE.format(slug=hy), encoding="utf-8")
    broken = tmp_path / "hong.toml"
    broken.write_text(STRUCTURE.format(slug=hy).replace("thon-1", "thon-9"), "utf-8")
    command = ["tenant", "merge", tb, "--into", hy, "--on", "2025-07-01"]

    refused = runner.invoke(main, [*command, "--structure", str(broken)])
    assert refused.exit_code == 1
    assert f"Cannot merge {tb} into {hy} — nothing was written." in refused.stderr
    assert f"{broken}:" in refused.stderr and "hy.d1.xa.thon-9" in refused.stderr

    dry = runner.invoke(main, [*command, "--structure", str(structure), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would move" in dry.output and "  org_unit             5\n" in dry.output
    assert f"Dry run: {structure} would restructure {hy} on 2025-07-01" in dry.output
    assert "  units: 4 created" in dry.output

    merged = runner.invoke(main, [*command, "--structure", str(structure)])
    assert merged.exit_code == 0, merged.output
    assert f"Merged {tb} into {hy} on 2025-07-01:" in merged.output
    assert f"Restructured {hy} on 2025-07-01 from {structure}" in merged.output
    listed = [line for line in runner.invoke(main, ["tenant", "list"]).output.splitlines()]
    assert any(
        line.startswith(tb) and line.endswith(f"merged into {hy} on 2025-07-01") for line in listed
    )

    again = runner.invoke(main, [*command, "--structure", str(structure)])
    assert again.exit_code == 0, again.output
    assert "already merged" in again.output and "nothing changed" in again.output

    # The manifest describes the tree before the restructuring: it no longer applies.
    onboarded = runner.invoke(main, ["tenant", "onboard", str(tmp_path / f"{hy}.toml")])
    assert onboarded.exit_code == 1
    assert onboarded.stderr.splitlines()[1] == (
        "  $.units: the tenant's tree was restructured on 2025-07-01 (Nghị quyết"
        " 202/2025/QH15 ngày 12/6/2025 về sắp xếp đơn vị hành chính cấp tỉnh), so this"
        " manifest, which describes the tree before, no longer applies: add users with"
        " `nguon users create` (or the portal's Người dùng), units with `nguon tenant"
        " import-units`, plugin settings in the portal"
    )


def test_merge_with_a_structure_file_from_the_command_line(
    sqlite_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    _merge_with_a_structure_file(CliRunner(env=sqlite_env), tmp_path, "thaibinh", "hungyen")


@pytest.mark.postgres
def test_merge_from_the_command_line_on_postgres_as_the_owner(
    postgres_database: Database, tmp_path: Path
) -> None:
    runner = CliRunner(
        env={
            "NGUON_DATABASE_URL": role_url(TEST_ROLES.app, TEST_DATABASE),
            "NGUON_MIGRATE_DATABASE_URL": role_url(TEST_ROLES.owner, TEST_DATABASE),
            "NGUON_SECRET_KEY": "cli-test-secret",
        }
    )
    suffix = f"{os.getpid()}-{next(_cli_runs)}"
    _merge_with_a_structure_file(runner, tmp_path, f"cli-tb-{suffix}", f"cli-hy-{suffix}")
