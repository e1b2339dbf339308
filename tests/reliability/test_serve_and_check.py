"""``nguon serve`` and ``nguon check`` as an operator meets them, and every command on a
wrong or unreachable database: one line per problem, a non-zero status, no traceback."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from nguon.db.engine import redacted
from nguon.db.migrate import migrate
from tests.conftest import ADMIN_URL, TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.http.conftest import build_world, candidate_body, serving, token_for

NGUON = Path(sys.executable).parent / "nguon"
ROOT = Path(__file__).resolve().parents[2]
KEY = "a-secret-key-long-enough-for-the-serve-tests-0123456789"
UNREACHABLE = "postgresql://nguon_app@127.0.0.1:1/nguon"


def _env(**variables: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NGUON_", "PROMETHEUS_"))
    }
    env.update({"NGUON_SECRET_KEY": KEY, **variables})
    return env


def _run(
    args: list[str], cwd: Path, timeout: float = 120, **variables: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NGUON), *args],
        cwd=cwd,
        env=_env(**variables),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    import asyncio

    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'nguon.sqlite'}"
    asyncio.run(migrate(url))
    return url


def test_check_passes_on_a_migrated_database(migrated_sqlite: str, tmp_path: Path) -> None:
    result = _run(["check"], tmp_path, NGUON_DATABASE_URL=migrated_sqlite)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "✓ secret key",
        "✓ NGUON_DATABASE_URL",
        "✓ database",
        "✓ schema",
        "✓ redis",
    ]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"NGUON_SECRET_KEY": ""}, "✗ secret key: NGUON_SECRET_KEY is not set"),
        ({"NGUON_SECRET_KEY": "short"}, "✗ secret key: NGUON_SECRET_KEY has 5 characters"),
        ({"NGUON_DATABASE_URL": "mysql://x/y"}, "✗ NGUON_DATABASE_URL: unsupported database URL"),
        (
            {"NGUON_DATABASE_URL": "sqlite:///no-such-folder/nguon.sqlite"},
            "✗ NGUON_DATABASE_URL: database URL sqlite:///no-such-folder/nguon.sqlite: the "
            "folder 'no-such-folder' does not exist",
        ),
        (
            {"NGUON_DATABASE_URL": "postgresql://a:secret@127.0.0.1/db?sslmode=maybe"},
            "✗ NGUON_DATABASE_URL: database URL postgresql://a:***@127.0.0.1/db?sslmode=maybe: "
            "sslmode='maybe' is not one of",
        ),
        (
            {"NGUON_DATABASE_URL": "postgresql://a@127.0.0.1/db?target_session_attrs=any"},
            "option 'target_session_attrs' is not supported",
        ),
        (
            {"NGUON_DATABASE_URL": UNREACHABLE},
            "✗ database: postgresql://nguon_app@127.0.0.1:1/nguon: cannot reach the database",
        ),
        (
            {"NGUON_DATABASE_URL": "sqlite:///empty.sqlite"},
            "✗ database: empty.sqlite does not exist: run `nguon db migrate`",
        ),
        (
            {"NGUON_REDIS_URL": "redis://127.0.0.1:1/0"},
            "✗ redis: redis://127.0.0.1:1/0 does not answer",
        ),
    ],
    ids=[
        "no-key",
        "short-key",
        "scheme",
        "sqlite-folder",
        "sslmode",
        "option",
        "unreachable",
        "not-migrated",
        "redis",
    ],
)
def test_check_names_each_problem_on_one_line(
    migrated_sqlite: str, tmp_path: Path, variables: dict[str, str], expected: str
) -> None:
    variables = {"NGUON_DATABASE_URL": migrated_sqlite, **variables}
    result = _run(["check"], tmp_path, **variables)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert len(failed) == 1, result.stdout
    assert expected in failed[0]
    assert ":secret@" not in failed[0]  # the password never shows


@pytest.mark.parametrize(
    "command",
    [
        ["db", "migrate"],
        ["tenant", "list"],
        ["tenant", "onboard", str(ROOT / "tenants" / "hungyen.toml")],
        ["tenant", "merge", "thaibinh", "--into", "hungyen", "--on", "2025-07-01", "--dry-run"],
        ["demo", "--no-serve"],
    ],
    ids=["migrate", "list", "onboard", "merge", "demo"],
)
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (UNREACHABLE, "Error: cannot reach the database: "),
        (
            "postgresql://postgres@127.0.0.1/nguon_no_such_db_opsserve",
            'Error: database "nguon_no_such_db_opsserve" does not exist',
        ),
        (
            "postgresql://postgres@127.0.0.1/db?foo=1",
            "Error: database URL postgresql://postgres@127.0.0.1/db?foo=1: option 'foo' is "
            "not supported",
        ),
        ("oracle://x", "Error: unsupported database URL 'oracle://x'"),
    ],
    ids=["unreachable", "no-database", "option", "scheme"],
)
def test_commands_on_a_wrong_database_say_one_line(
    tmp_path: Path, command: list[str], url: str, expected: str
) -> None:
    result = _run(
        command, tmp_path, timeout=60, NGUON_DATABASE_URL=url, NGUON_MIGRATE_DATABASE_URL=url
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected), lines[0]


def test_commands_on_an_unmigrated_sqlite_file_say_what_to_run(tmp_path: Path) -> None:
    (tmp_path / "nguon.sqlite").touch()
    result = _run(["tenant", "list"], tmp_path, NGUON_DATABASE_URL="sqlite:///nguon.sqlite")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: the SQLite database is not migrated (no such table: tenant): run `nguon db "
        "migrate` (as NGUON_MIGRATE_DATABASE_URL) first"
    ]


@pytest.mark.parametrize(
    "command", [["tenant", "list"], ["check"], ["serve"], ["worker"], ["db", "migrate"]]
)
def test_commands_without_a_database_url_say_what_to_set(
    tmp_path: Path, command: list[str]
) -> None:
    result = _run(command, tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "NGUON_DATABASE_URL is not set: set it to the app's database "
        "(postgresql://nguon_app@HOST/DB, or sqlite:///PATH/nguon.sqlite on one machine); "
        "only `nguon demo` makes a database by itself."
    ]
    assert list(tmp_path.iterdir()) == []  # no ./nguon.sqlite made


def test_commands_that_need_no_database_url_still_run_without_one(tmp_path: Path) -> None:
    assert _run(["tenant", "--help"], tmp_path, timeout=60).returncode == 0
    assert _run(["rules", "--help"], tmp_path, timeout=60).returncode == 0
    # The compose file's migrate service has the owner's URL only.
    owner_only = _run(
        ["db", "migrate"],
        tmp_path,
        timeout=120,
        NGUON_MIGRATE_DATABASE_URL=f"sqlite:///{tmp_path / 'owner.sqlite'}",
    )
    assert owner_only.returncode == 0, owner_only.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "owner.sqlite"]


def test_check_into_a_closed_pipe_ends_without_a_traceback(
    migrated_sqlite: str, tmp_path: Path
) -> None:
    """`nguon check | head -1`: the reader goes away before the command writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [str(NGUON), "check"],
            cwd=tmp_path,
            env=_env(NGUON_DATABASE_URL=migrated_sqlite),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Broken pipe" not in result.stderr, result.stderr
    assert "cannot reach the database" not in result.stderr, result.stderr


def test_serve_waits_a_bounded_time_for_the_database(tmp_path: Path) -> None:
    started = time.monotonic()
    result = _run(
        ["serve", "--wait-for-database", "3", "--port", str(_free_port())],
        tmp_path,
        NGUON_DATABASE_URL=UNREACHABLE,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert 3 <= elapsed < 30
    lines = result.stderr.strip().splitlines()
    waiting = [line for line in lines if line.startswith("waiting for database (attempt ")]
    assert len(waiting) >= 2
    assert lines[-2].startswith(
        "✗ database: postgresql://nguon_app@127.0.0.1:1/nguon: cannot reach"
    )
    assert lines[-1] == "Error: not serving: fix the problems above (`nguon check`)"
    assert "Traceback" not in result.stderr


def test_serve_refuses_bad_settings_by_name(tmp_path: Path) -> None:
    sqlite = "sqlite:///nguon.sqlite"
    result = _run(["serve", "--workers", "0"], tmp_path, NGUON_DATABASE_URL=sqlite)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: server setting: workers must be at least 1, not 0"
    result = _run(["serve"], tmp_path, NGUON_PORT="eighty", NGUON_DATABASE_URL=sqlite)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: NGUON_PORT: Expected `int`")


def _scrape(port: int, token: str) -> str:
    response = httpx.get(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.text


def _health_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "nguon_requests_total" and sample.labels.get("path") == "/health"
    )


def test_two_workers_answer_for_each_other_in_metrics(migrated_sqlite: str, tmp_path: Path) -> None:
    port = _free_port()
    token = "metrics-token-of-the-two-worker-test"
    server = subprocess.Popen(
        [str(NGUON), "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path,
        env=_env(NGUON_DATABASE_URL=migrated_sqlite, NGUON_METRICS_TOKEN=token),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.3)
        time.sleep(2)  # both workers up
        base = _health_count(_scrape(port, token))
        sent = 40
        for _ in range(sent):  # a new connection each: either worker may answer
            assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        counts = {_health_count(_scrape(port, token)) for _ in range(6)}
        # /metrics answered by either worker, each time all requests of both are counted.
        assert counts == {base + sent}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert re.search(r"Serving on http://127.0.0.1:\d+ with 2 worker\(s\)", output)
    assert output.count("Started server process") >= 2, output


@pytest.mark.postgres
async def test_check_on_postgres_names_the_app_role_and_the_schema(
    postgres_db: Database, tmp_path: Path
) -> None:
    app = role_url(TEST_ROLES.app, TEST_DATABASE)
    owner = role_url(TEST_ROLES.owner, TEST_DATABASE)
    # The key the suite's data was written with (other tests store national ID numbers).
    suite_key = os.environ["NGUON_SECRET_KEY"]
    passed = _run(
        ["check"],
        tmp_path,
        NGUON_DATABASE_URL=app,
        NGUON_MIGRATE_DATABASE_URL=owner,
        NGUON_SECRET_KEY=suite_key,
    )
    assert passed.returncode == 0, passed.stdout
    assert (
        f"✓ app role: '{TEST_ROLES.app}' has its rights, under Row-Level Security" in passed.stdout
    )

    as_owner = _run(["check"], tmp_path, NGUON_DATABASE_URL=owner, NGUON_SECRET_KEY=suite_key)
    assert as_owner.returncode == 0, as_owner.stdout
    [warning] = [line for line in as_owner.stdout.splitlines() if "app role" in line]
    assert warning == (
        f"! app role: '{TEST_ROLES.owner}' owns the tables (it may change the schema and "
        "read a tenant being merged): set NGUON_DATABASE_URL to the app role `nguon db "
        "setup` made"
    )

    superuser = ADMIN_URL.rsplit("/", 1)[0] + f"/{TEST_DATABASE}"
    refused = _run(["check"], tmp_path, NGUON_DATABASE_URL=superuser)
    assert refused.returncode == 1
    assert "✗ app role: 'postgres' bypasses Row-Level Security" in refused.stdout


async def test_check_connects_with_the_owners_url_too_and_compares_the_databases(
    postgres_db: Database, tmp_path: Path
) -> None:
    """What operator commands and migrations use is checked, not only read."""
    app = role_url(TEST_ROLES.app, TEST_DATABASE)
    owner = role_url(TEST_ROLES.owner, TEST_DATABASE)
    key = os.environ["NGUON_SECRET_KEY"]
    passed = _run(
        ["check"],
        tmp_path,
        NGUON_DATABASE_URL=app,
        NGUON_MIGRATE_DATABASE_URL=owner,
        NGUON_SECRET_KEY=key,
    )
    assert "✓ owner database: " in passed.stdout and "answers (operator commands)" in passed.stdout

    down = re.sub(r":\d+/", ":1/", owner, count=1)
    refused = _run(
        ["check"],
        tmp_path,
        NGUON_DATABASE_URL=app,
        NGUON_MIGRATE_DATABASE_URL=down,
        NGUON_SECRET_KEY=key,
    )
    assert refused.returncode == 1
    [failed] = [line for line in refused.stdout.splitlines() if line.startswith("✗")]
    assert failed.startswith("✗ owner database: ") and "cannot reach the database" in failed

    no_name = app.rsplit("/", 1)[0]
    elsewhere = _run(
        ["check"],
        tmp_path,
        NGUON_DATABASE_URL=no_name,
        NGUON_MIGRATE_DATABASE_URL=owner,
        NGUON_SECRET_KEY=key,
    )
    assert elsewhere.returncode == 1
    assert (
        "✗ databases: NGUON_DATABASE_URL names database 'postgres' (none given: the default)"
        f" but NGUON_MIGRATE_DATABASE_URL names '{TEST_DATABASE}'"
    ) in elsewhere.stdout

    listed = _run(
        ["tenant", "list"],
        tmp_path,
        NGUON_DATABASE_URL=app,
        NGUON_MIGRATE_DATABASE_URL="",
    )
    assert "unsupported database URL" not in listed.stderr  # empty is unset: the app's URL
    unreachable = _run(
        ["tenant", "list"],
        tmp_path,
        NGUON_DATABASE_URL=app,
        NGUON_MIGRATE_DATABASE_URL=down,
    )
    assert unreachable.stderr.strip().endswith(f"(NGUON_MIGRATE_DATABASE_URL: {redacted(down)})"), (
        unreachable.stderr
    )


async def test_check_refuses_a_key_that_does_not_open_the_stored_national_ids(
    postgres_db: Database, tmp_path: Path
) -> None:
    """Served with another key, national IDs would read as blanks and escape the duplicate
    check: check (and so serve) refuses it, and accepts it as the new key of a rotation."""
    async with serving(postgres_db) as client:
        world = await build_world(postgres_db, "khoa-sai")
        headers = await token_for(client, world.slug, "admin")
        made = await client.post(
            f"/t/{world.slug}/api/v1/candidates",
            json=candidate_body(world.units["cell_x"], national_id="034201009999"),
            headers=headers,
        )
        assert made.status_code == 201, made.text
    urls = {
        "NGUON_DATABASE_URL": role_url(TEST_ROLES.app, TEST_DATABASE),
        "NGUON_MIGRATE_DATABASE_URL": role_url(TEST_ROLES.owner, TEST_DATABASE),
    }
    wrong = _run(["check"], tmp_path, **urls)
    assert wrong.returncode == 1
    assert "✗ stored data: national ID numbers were encrypted with another key" in wrong.stdout
    rotating = _run(
        ["check"], tmp_path, NGUON_SECRET_KEY_PREVIOUS=os.environ["NGUON_SECRET_KEY"], **urls
    )
    assert rotating.returncode == 0, rotating.stdout
    assert "✓ stored data" in rotating.stdout


@pytest.mark.postgres
async def test_check_says_when_no_worker_runs_the_jobs(
    postgres_db: Database, tmp_path: Path
) -> None:
    from tests.jobs.workers import worker
    from tests.jobs.world import admin_connection

    connection = await admin_connection()
    try:  # workers other tests killed leave their last heartbeat behind
        await connection.execute("DELETE FROM procrastinate_workers")
    finally:
        await connection.close()
    settings = {
        "NGUON_DATABASE_URL": role_url(TEST_ROLES.app, TEST_DATABASE),
        "NGUON_SECRET_KEY": os.environ["NGUON_SECRET_KEY"],
    }
    alone = _run(["check"], tmp_path, **settings)
    assert alone.returncode == 0, alone.stdout  # a warning: servers may start first
    [line] = [line for line in alone.stdout.splitlines() if "worker" in line]
    assert line.startswith("! worker: none seen in the last 30 s"), line
    assert "`nguon worker`" in line

    with worker(log=tmp_path / "worker.log"):
        deadline = time.monotonic() + 30
        while "✓ worker: 1 alive" not in (seen := _run(["check"], tmp_path, **settings)).stdout:
            assert time.monotonic() < deadline, seen.stdout
            time.sleep(0.5)
    assert seen.returncode == 0
