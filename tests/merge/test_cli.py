"""``nguon tenant merge`` as an operator runs it: dry run, merge, the same merge again."""

from __future__ import annotations

from click.testing import CliRunner

from nguon.cli import main
from tests.onboarding.conftest import TENANTS
from tests.onboarding.test_cli import sqlite_env  # noqa: F401 (fixture)


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
    assert "  org_unit             17\n" in dry.output
    assert "No conflicts." in dry.output
    listed = runner.invoke(main, ["tenant", "list"]).output
    assert "units=17" in listed

    merged = runner.invoke(main, command)
    assert merged.exit_code == 0, merged.output
    assert "Merged thaibinh into hungyen on 2025-07-01:" in merged.output
    assert "thaibinh is closed and its address points to hungyen" in merged.output
    listed = runner.invoke(main, ["tenant", "list"]).output.splitlines()
    assert "units=268" in listed[0] and "merged" not in listed[0]
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
