"""The suite's own promises: Postgres is never silently skipped in CI; platform/ is no package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_POSTGRES_TEST = (
    "tests/tenancy/test_postgres_rls.py::test_app_role_is_not_owner_superuser_or_bypassrls"
)


def _run_with_unreachable_postgres(ci: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(CI=ci, NGUON_TEST_ADMIN_URL="postgresql://postgres@127.0.0.1:1/postgres")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_POSTGRES_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unreachable_postgres_fails_the_run_in_ci() -> None:
    result = _run_with_unreachable_postgres("true")
    assert result.returncode == 1, result.stdout
    assert "PostgreSQL is required in CI" in result.stdout


def test_unreachable_postgres_is_a_visible_skip_elsewhere() -> None:
    result = _run_with_unreachable_postgres("")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout


def test_platform_folder_is_not_a_package() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()
    import platform

    assert hasattr(platform, "python_version"), "stdlib platform is shadowed"
