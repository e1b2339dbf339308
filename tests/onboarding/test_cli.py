"""``nguon tenant …`` as an operator runs it: exit codes and messages."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from click.testing import CliRunner

from nguon.cli import main
from nguon.db.migrate import migrate
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.onboarding.conftest import FIXTURES, TENANTS


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    asyncio.run(migrate(url))
    monkeypatch.chdir(tmp_path)
    return {"NGUON_DATABASE_URL": url, "NGUON_SECRET_KEY": "cli-test-secret"}


def test_onboard_list_and_onboard_again(sqlite_env: dict[str, str]) -> None:
    runner = CliRunner(env=sqlite_env)
    first = runner.invoke(main, ["tenant", "onboard", str(TENANTS / "hungyen.toml")])
    assert first.exit_code == 0, first.output
    assert "Tenant hungyen created" in first.output
    assert "units: 251 created, 0 unchanged" in first.output
    assert "generated password for admin.hungyen:" in first.output

    second = runner.invoke(main, ["tenant", "onboard", str(TENANTS / "hungyen.toml")])
    assert second.exit_code == 0
    assert "already matches the manifest: nothing changed" in second.output
    assert "generated password" not in second.output

    runner.invoke(main, ["tenant", "onboard", str(TENANTS / "thaibinh.toml")])
    listed = runner.invoke(main, ["tenant", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].startswith("hungyen") and "units=251" in lines[0]
    assert lines[1].startswith("thaibinh") and "units=171" in lines[1]


def test_onboard_with_a_broken_manifest_fails_and_names_every_key(
    sqlite_env: dict[str, str],
) -> None:
    runner = CliRunner(env=sqlite_env)
    result = runner.invoke(main, ["tenant", "onboard", str(FIXTURES / "malformed.toml")])
    assert result.exit_code == 1
    assert "nothing was written. 15 problem(s)" in result.stderr
    assert "$.units[0].children[0].children[0].kind: unknown unit kind 'grasroots_cell'" in (
        result.stderr
    )
    assert "$.users[0].memberships[1].role: unknown role 'emperor'" in result.stderr
    assert runner.invoke(main, ["tenant", "list"]).output == "No tenants yet.\n"


def test_import_units_from_the_command_line(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner(env=sqlite_env)
    runner.invoke(main, ["tenant", "onboard", str(TENANTS / "thaibinh.toml")])
    good = tmp_path / "good.csv"
    good.write_text(
        "code,name,kind,bloc,parent_code,valid_from,valid_to\n"
        "tb.vuthu.tanlap,Đảng ủy xã Tân Lập,grassroots_committee,commune,tb.vuthu,2020-10-01,\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["tenant", "import-units", "thaibinh", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 units created, 0 unchanged (1 rows)" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,kind,bloc,parent_code,valid_from,valid_to\n"
        "tb.vuthu.x,Chi bộ X,grassroots_cell,commune,tb.vuthu,2020-10-01,\n"
        "tb.vuthu.y,Chi bộ Y,no_such_kind,commune,tb.vuthu,2020-10-01,\n",
        encoding="utf-8",
    )
    failed = runner.invoke(main, ["tenant", "import-units", "thaibinh", str(bad)])
    assert failed.exit_code == 1
    assert "line 3, column kind: unknown unit kind 'no_such_kind'" in failed.stderr
    listed = runner.invoke(main, ["tenant", "list"])
    assert "units=172" in listed.output

    unknown = runner.invoke(main, ["tenant", "import-units", "nowhere", str(good)])
    assert unknown.exit_code == 1 and "unknown tenant 'nowhere'" in unknown.stderr


@pytest.mark.postgres
def test_onboard_on_postgres_runs_as_the_owner(postgres_database: Database, tmp_path: Path) -> None:
    runner = CliRunner(
        env={
            "NGUON_DATABASE_URL": role_url(TEST_ROLES.app, TEST_DATABASE),
            "NGUON_MIGRATE_DATABASE_URL": role_url(TEST_ROLES.owner, TEST_DATABASE),
            "NGUON_SECRET_KEY": "cli-test-secret",
        }
    )
    text = (TENANTS / "thaibinh.toml").read_text(encoding="utf-8")
    manifest = tmp_path / "cli-pg-thaibinh.toml"
    manifest.write_text(text.replace('slug = "thaibinh"', 'slug = "cli-pg-thaibinh"'))
    result = runner.invoke(main, ["tenant", "onboard", str(manifest)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(main, ["tenant", "onboard", str(manifest)])
    assert "nothing changed (171 units" in again.output
    listed = runner.invoke(main, ["tenant", "list"])
    assert any(
        line.startswith("cli-pg-thaibinh") and "units=171" in line
        for line in listed.output.splitlines()
    )


def test_the_onboarding_report_says_what_was_made_and_what_to_do_next(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    """The operator reads every line: what was created, the passwords shown once, the
    manifest's next steps; a manifest with one unit more updates the tenant."""
    runner = CliRunner(env=sqlite_env)
    first = runner.invoke(main, ["tenant", "onboard", str(TENANTS / "hungyen.toml")])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0].startswith("Tenant hungyen created (id ") and lines[0].endswith(").")
    assert lines[1:4] == [
        "  units: 251 created, 0 unchanged",
        "  users: 2 created, 0 unchanged",
        "  memberships: 2 created, 0 unchanged",
    ]
    shown = [line for line in lines if line.startswith("  generated password for ")]
    assert [line.split(":")[0] for line in shown] == [
        "  generated password for admin.hungyen",
        "  generated password for vanphong.btc",
    ]
    assert all(line.endswith("  (shown once; store it now)") for line in shown)
    steps = lines[lines.index("Next steps:") + 1 :]
    assert steps[1:] == [
        "  nguon tenant onboard tenants/thaibinh.toml",
        "  nguon tenant merge thaibinh --into hungyen --on 2025-07-01 "
        "--structure tenants/hungyen-2025-07-01.toml",
    ]

    grown = tmp_path / "hungyen-more.toml"
    grown.write_text(
        (TENANTS / "hungyen.toml").read_text(encoding="utf-8")
        + '\n[[units.children]]\ncode = "hy.moi"\nname = "Huyện ủy Mới"\n'
        'kind = "district_committee"\nvalid_from = 2024-01-01\n',
        encoding="utf-8",
    )
    again = runner.invoke(main, ["tenant", "onboard", str(grown)])
    assert again.exit_code == 0, again.output
    lines = again.output.splitlines()
    assert lines[0].startswith("Tenant hungyen updated (id ")
    assert lines[1:4] == [
        "  units: 1 created, 251 unchanged",
        "  users: 0 created, 2 unchanged",
        "  memberships: 0 created, 2 unchanged",
    ]
    assert "generated password" not in again.output
    assert "Next steps:" in lines


def test_a_bad_setting_is_one_line_and_no_work_is_left_unawaited(
    sqlite_env: dict[str, str], recwarn: pytest.WarningsRecorder
) -> None:
    runner = CliRunner(env={**sqlite_env, "NGUON_EVENT_RELAY_SECONDS": "mười"})
    listed = runner.invoke(main, ["tenant", "list"])
    assert isinstance(listed.exception, SystemExit), listed.exception
    assert listed.exit_code == 1
    assert listed.output == "NGUON_EVENT_RELAY_SECONDS must be a whole number, not 'mười'\n"
    del listed  # its traceback holds the work
    gc.collect()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]
