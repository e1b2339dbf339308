"""Set-up mistakes stop a process with one clear line instead of a server that half
works: no ``NGUON_SECRET_KEY`` (a key made up in another folder would not open the
national ID numbers, tokens and sessions), and an app role that does not exist (a
migration would grant it nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nguon.settings import SECRET_KEY_MISSING, load_settings
from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.plugins.receiver import free_port
from tests.reliability.servers import UVICORN

NGUON = Path(sys.executable).parent / "nguon"
ROOT = Path(__file__).resolve().parents[2]


def _without_key(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NGUON_")}
    return {**env, **extra}


def test_settings_without_a_secret_key_stop_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for value in (None, "", "   "):
        if value is None:
            monkeypatch.delenv("NGUON_SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("NGUON_SECRET_KEY", value)
        with pytest.raises(SystemExit) as stopped:
            load_settings()
        assert str(stopped.value) == SECRET_KEY_MISSING
    assert list(tmp_path.iterdir()) == []  # no key generated into the working folder


def test_a_server_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    started = subprocess.run(
        [*UVICORN, "--host", "127.0.0.1", "--port", str(free_port())],
        cwd=tmp_path,
        env=_without_key(NGUON_DATABASE_URL=f"sqlite:///{tmp_path / 'nguon.sqlite'}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert started.stdout == ""
    assert started.stderr.strip().splitlines() == [SECRET_KEY_MISSING]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [("tenant", "list"), ("tenant", "onboard", str(ROOT / "tenants" / "hungyen.toml"))],
    ids=["list", "onboard"],
)
def test_operator_commands_need_the_key_too(tmp_path: Path, command: tuple[str, ...]) -> None:
    refused = subprocess.run(
        [str(NGUON), *command],
        cwd=tmp_path,
        env=_without_key(NGUON_DATABASE_URL=f"sqlite:///{tmp_path / 'nguon.sqlite'}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines() == [SECRET_KEY_MISSING]
    assert not (tmp_path / "nguon.sqlite").exists()


async def test_migrate_refuses_an_app_role_that_does_not_exist(postgres_db: Database) -> None:
    owner = role_url(TEST_ROLES.owner, TEST_DATABASE)
    refused = subprocess.run(
        [str(NGUON), "db", "migrate"],
        env=_without_key(
            NGUON_SECRET_KEY="migrate-test-secret",
            NGUON_MIGRATE_DATABASE_URL=owner,
            NGUON_APP_ROLE="nguon_no_such_role",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "Error: nothing migrated: the app role 'nguon_no_such_role' (NGUON_APP_ROLE) does "
        "not exist on this server: create it with `nguon db setup --app-role "
        "nguon_no_such_role` or name the right role"
    ]

    migrated = subprocess.run(
        [str(NGUON), "db", "migrate"],
        env=_without_key(
            NGUON_SECRET_KEY="migrate-test-secret",
            NGUON_MIGRATE_DATABASE_URL=owner,
            NGUON_APP_ROLE=TEST_ROLES.app,
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.strip().splitlines() == [
        "No migration to apply: the database was already up to date.",
        "Grants and Row-Level Security policies re-applied.",
    ]


@pytest.mark.parametrize(
    "admin_url, expected",
    [
        (None, "Error: no superuser URL to create the roles with: give --admin-url"),
        (
            "postgresql://postgres@127.0.0.1:5432/nguon_no_such_admin_db",
            "Error: nothing set up: postgresql://postgres@127.0.0.1:5432/nguon_no_such_admin_db: "
            'database "nguon_no_such_admin_db" does not exist; give --admin-url',
        ),
    ],
    ids=["missing", "no-such-database"],
)
def test_setup_with_a_wrong_admin_url_says_the_next_step(
    tmp_path: Path, admin_url: str | None, expected: str
) -> None:
    """The hint names the admin URL to give, not `nguon db setup` again."""
    args = [str(NGUON), "db", "setup"] + (["--admin-url", admin_url] if admin_url else [])
    result = subprocess.run(
        args,
        cwd=tmp_path,
        env=_without_key(NGUON_DATABASE_URL="postgresql://nguon_app@127.0.0.1/nguon_x"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(expected), line
    assert "postgresql://postgres@127.0.0.1:5432/postgres" in line
    assert "with `nguon db setup`" not in line
