"""Make the upgrade fixture: a database built by an earlier release, dumped as plain SQL.

    python infra/upgrade/make_dump.py --revision 85257f0 \\
        --output tests/upgrade/fixtures/release-85257f0.sql

Checks the revision out with ``git worktree`` (detached, in a temporary folder), and with
that release's own code sets up roles and a database (``nguon db setup``), migrates it
(``nguon db migrate``) and fills it (``populate.py``: a tenant onboarded, people, a member,
lists in every state). Then ``pg_dump`` as the superuser (tenant tables force Row-Level
Security) and the worktree and the database are removed. Needs git, the Postgres client
tools and a superuser URL (``--admin-url``, default ``postgresql://postgres@127.0.0.1/postgres``).
The roles are ``nguon_upgrade_owner`` and ``nguon_upgrade_app``: whoever restores the dump
creates them first (``nguon db setup`` with those names).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
POPULATE = Path(__file__).resolve().parent / "populate.py"
DATABASE = "nguon_upgrade_source"
OWNER = "nguon_upgrade_owner"
APP = "nguon_upgrade_app"
SECRET_KEY = "upgrade-fixture-key-not-a-secret-0123456789"
"""The key the fixture's national ID numbers are encrypted with (test data only)."""


def _with_database(url: str, database: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc if user is None else f"{user}@{parts.netloc.rsplit('@', 1)[-1]}"
    return urlunsplit((parts.scheme, netloc, f"/{database}", "", ""))


def _run(command: list[str], **kwargs: object) -> None:
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def make_dump(revision: str, output: Path, admin_url: str) -> None:
    drop = ["psql", "--quiet", "--dbname", admin_url, "-c"]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "release"
        _run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(source), revision])
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("NGUON_")}
            env.update(
                PYTHONPATH=str(source / "platform"),
                NGUON_ADMIN_URL=admin_url,
                NGUON_MIGRATE_DATABASE_URL=_with_database(admin_url, DATABASE, OWNER),
                NGUON_DATABASE_URL=_with_database(admin_url, DATABASE, APP),
                NGUON_APP_ROLE=APP,
                NGUON_SECRET_KEY=SECRET_KEY,
            )
            nguon = [sys.executable, "-c", "from nguon.cli import main; main()"]
            _run([*drop, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"])
            _run(
                [
                    *nguon,
                    "db",
                    "setup",
                    "--admin-url",
                    admin_url,
                    "--database",
                    DATABASE,
                    "--owner-role",
                    OWNER,
                    "--app-role",
                    APP,
                ],
                env=env,
                cwd=source,
            )
            _run([*nguon, "db", "migrate"], env=env, cwd=source)
            _run([sys.executable, str(POPULATE)], env=env, cwd=source)
            output.parent.mkdir(parents=True, exist_ok=True)
            source_url = _with_database(admin_url, DATABASE)
            _run(["pg_dump", "--format=plain", "--no-comments", f"--file={output}", source_url])
            _run([*drop, f"DROP DATABASE {DATABASE} WITH (FORCE)"])
        finally:
            _run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(source)])
    print(f"{output}: {output.stat().st_size} bytes, made by {revision}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revision", default="85257f0", help="the release to dump (a commit)")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "tests/upgrade/fixtures/release-85257f0.sql",
    )
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1/postgres")
    arguments = parser.parse_args()
    make_dump(arguments.revision, arguments.output, arguments.admin_url)


if __name__ == "__main__":
    main()
