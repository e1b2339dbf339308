"""A scaled-out deployment rehearsed on this machine with native processes.

HAProxy (Debian's, with ``infra/haproxy.cfg``) in front of three web processes, a job
worker, Postgres (a fresh database and roles, as ``nguon db setup`` and ``migrate`` make them) and
Redis (sessions shared). Signed-in portal users read, create and edit candidates and ask
for unit re-evaluations for a while; mid-way one web process and the worker are killed with
SIGKILL and a new worker is started. What a user relies on:

- failed requests: only those in flight on the killed process at that moment;
- lost writes: none (every create and edit the portal acknowledged is in the database);
- sessions kept: all (the same cookies keep working through the other processes);
- jobs finished: all, once.

The figures are printed as a table (``pytest -s``); ``docs/operators.md`` quotes them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from nguon.accounts.passwords import hash_password
from nguon.db.engine import postgres_config
from nguon.db.migrate import migrate
from nguon.db.security import RoleNames, setup_database
from tests.conftest import ADMIN_URL, REDIS_URL, TEST_DATABASE, _unavailable, role_url
from tests.plugins.receiver import free_port
from tests.reliability.rehearsal import (
    HAPROXY,
    NGUON,
    PortalUser,
    Process,
    Request,
    answers_health,
    haproxy_config,
    process_environment,
    wait_until,
    web_command,
    worker_command,
)

pytestmark = pytest.mark.postgres

DATABASE = f"{TEST_DATABASE}_rehearsal"
OWNER = f"{TEST_DATABASE}_rh_owner"
APP = f"{TEST_DATABASE}_rh_app"
SECRET = "rehearsal-secret-key-0123456789-abcdefghij"
PASSWORD = "mật-khẩu-diễn-tập-2025"
SLUG = "dientap"
WEB_PROCESSES = 3
WRITERS = 4
LOAD_SECONDS = 16.0
KILL_AT = 7.0
PEOPLE_TO_REEVALUATE = 200
JOB_WAIT = 60.0
"""How long a job may take after the load, a job taken up again after its worker died included."""

MANIFEST = """\
slug = "dientap"
name = "Tỉnh Diễn Tập"
rules_package = "hungyen"

[admin]
username = "admin.dientap"
full_name = "Quản trị diễn tập"
password_hash = "{hash}"

{users}

[[units]]
code = "dt"
name = "Tỉnh ủy Diễn Tập"
kind = "province_committee"
valid_from = 2025-07-01

[[units.children]]
code = "dt.xa"
name = "Đảng ủy xã Diễn Tập"
kind = "commune_committee"
bloc = "commune"
valid_from = 2025-07-01

{cells}
"""


def _manifest() -> str:
    password_hash = hash_password(PASSWORD)
    cells = "\n".join(
        f'[[units.children.children]]\ncode = "dt.xa.{n}"\nname = "Chi bộ thôn {n}"\n'
        'kind = "subordinate_cell"\nbloc = "commune"\nvalid_from = 2025-07-01\n'
        for n in range(WRITERS + 1)
    )
    users = "\n".join(
        f'[[users]]\nusername = "bien.tap.{n}"\nfull_name = "Biên tập thôn {n}"\n'
        f'password_hash = "{password_hash}"\n'
        f'memberships = [{{ unit = "dt.xa.{n}", role = "editor" }}]\n'
        for n in range(WRITERS + 1)
    )
    return MANIFEST.format(hash=password_hash, users=users, cells=cells)


def _nguon(*arguments: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(NGUON), *arguments], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Deployment:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.app_url = role_url(APP, DATABASE)
        self.owner_url = role_url(OWNER, DATABASE)
        self.env = process_environment(
            NGUON_DATABASE_URL=self.app_url,
            NGUON_MIGRATE_DATABASE_URL=self.owner_url,
            NGUON_APP_ROLE=APP,
            NGUON_SECRET_KEY=SECRET,
            NGUON_REDIS_URL=REDIS_URL,
            NGUON_TRUSTED_PROXIES="127.0.0.1",
        )
        self.web_ports = [free_port() for _ in range(WEB_PROCESSES)]
        self.proxy_port = free_port()
        self.web: list[Process] = []
        self.workers: list[Process] = []
        self.proxy: Process | None = None
        self.setup_seconds = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def start(self) -> None:
        for index, port in enumerate(self.web_ports):
            self.web.append(
                Process(f"web{index}", web_command(port), self.env, self.folder / "web.log")
            )
        self.start_worker()
        config = self.folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.proxy_port, self.web_ports))
        self.proxy = Process(
            "haproxy", [str(HAPROXY), "-db", "-f", str(config)], self.env, self.folder / "px.log"
        )
        for port in self.web_ports:
            wait_until(lambda p=port: answers_health(f"http://127.0.0.1:{p}"), 60, "web health")
        wait_until(lambda: answers_health(self.base), 30, "HAProxy serves")

    def start_worker(self) -> None:
        command = worker_command()
        if command is not None:
            log = self.folder / "worker.log"
            self.workers.append(Process("worker", command, self.env, log))

    def stop(self) -> None:
        for process in [*self.web, *self.workers, *([self.proxy] if self.proxy else [])]:
            process.stop()


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(**postgres_config(ADMIN_URL), timeout=5)


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    if not HAPROXY.exists() or shutil.which("pg_isready") is None:
        _unavailable("the Debian package haproxy is not installed", "HAProxy")
    admin = await _admin()
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        await admin.close()
    deployed = Deployment(tmp_path)
    began = time.monotonic()
    # What `nguon db setup` and `nguon db migrate` do, without two more processes to start.
    await setup_database(ADMIN_URL, DATABASE, RoleNames(owner=OWNER, app=APP))
    await migrate(deployed.owner_url, RoleNames(owner=OWNER, app=APP))
    manifest = tmp_path / "dientap.toml"
    manifest.write_text(_manifest())
    _nguon("tenant", "onboard", str(manifest), env=deployed.env)
    await _seed_people(PEOPLE_TO_REEVALUATE)
    try:
        deployed.start()
        deployed.setup_seconds = time.monotonic() - began
        yield deployed
    finally:
        deployed.stop()
        admin = await _admin()
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        finally:
            await admin.close()


async def _database() -> asyncpg.Connection:
    """The rehearsal's database as the superuser (it reads past Row-Level Security)."""
    config = {**postgres_config(ADMIN_URL), "database": DATABASE}
    return await asyncpg.connect(**config, timeout=5)


async def _seed_people(count: int) -> None:
    """People on the jobs cell (``dt.xa.0``) for the re-evaluations to work through."""
    connection = await _database()
    try:
        await connection.execute(
            """
            INSERT INTO candidate (tenant_id, unit, unit_path, full_name, name_search,
                date_of_birth, sex, ethnicity, religion, home_town, residence, education,
                occupation, youth_union_member, trade_union_member, hardship_area,
                political_standard, is_party_member, provincial_consent_over_60, stage,
                notes, version, created_at, updated_at)
            SELECT u.tenant_id, u.id, u.path, 'Người diễn tập ' || n, 'nguoi dien tap ' || n,
                DATE '2000-01-01' + n, CASE WHEN n % 2 = 0 THEN 'male' ELSE 'female' END,
                'Kinh', 'Không', '', '', 'upper_secondary', '', n % 3 = 0, FALSE, FALSE,
                'passed', FALSE, FALSE, 'surveyed', '', 1, now(), now()
            FROM org_unit u, generate_series(1, $1) AS n
            WHERE u.code = 'dt.xa.0'
            """,
            count,
        )
    finally:
        await connection.close()


class Load:
    """What the users were told: requests, acknowledged writes and jobs."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.created: dict[int, str] = {}
        self.edited: dict[int, list[tuple[str, bool]]] = {}
        """Per candidate, every occupation sent, in order, and whether it was acknowledged."""
        self.jobs: list[tuple[str, str | None]] = []
        """Each job asked for: its progress page, and the web process that took the request."""
        self.sessions: dict[str, tuple[str, bool]] = {}
        """Per user: the session cookie signed in with, and whether it kept working."""
        self.jobs_running_at_kill: int | None = None
        """Jobs the queue had taken and not finished just before the kill (with a queue)."""


FORM = {
    "date_of_birth": "2001-04-09",
    "sex": "female",
    "education": "university",
    "political_standard": "passed",
}


async def _writer(user: PortalUser, cell: int, load: Load, until: float) -> None:
    mine: list[int] = []
    n = 0
    while time.monotonic() < until:
        n += 1
        name = f"Nguyễn Thị Diễn {user.username[-1]}-{n}"
        created = await user.request(
            "create",
            "POST",
            f"/t/{user.slug}/candidates/new?unit_id={cell}",
            {**FORM, "full_name": name, "_csrf_token": user.csrf},
        )
        if created is not None and created.status_code == 303 and user.signed_in(created):
            candidate_id = int(created.headers["location"].split("?")[0].rsplit("/", 1)[1])
            load.created[candidate_id] = name
            mine.append(candidate_id)
        home = await user.request("read", "GET", f"/t/{user.slug}/")
        if home is not None and not user.signed_in(home):
            load.sessions[user.username] = (user.session_cookie, False)
        if not mine:
            continue
        target = mine[n % len(mine)]
        version = await user.edit_version(target)
        if version is None:
            continue
        occupation = f"Công nhân ca {n}"
        sent = load.edited.setdefault(target, [])
        sent.append((occupation, False))
        edited = await user.request(
            "edit",
            "POST",
            f"/t/{user.slug}/candidates/{target}/edit",
            {
                **FORM,
                "full_name": load.created[target],
                "occupation": occupation,
                "version": str(version),
                "_csrf_token": user.csrf,
            },
        )
        if edited is not None and edited.status_code == 303 and user.signed_in(edited):
            sent[-1] = (occupation, True)


async def _jobs(user: PortalUser, cell: int, load: Load, until: float) -> None:
    while time.monotonic() < until:
        asked = await user.request(
            "job", "POST", f"/t/{user.slug}/units/{cell}/reevaluate", {"_csrf_token": user.csrf}
        )
        if asked is not None and asked.status_code == 303 and user.signed_in(asked):
            load.jobs.append((asked.headers["location"], asked.headers.get("x-served-by")))
        await user.request("read", "GET", f"/t/{user.slug}/units/{cell}")
        await asyncio.sleep(1.5)


async def _job_outcome(user: PortalUser, location: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = await user.request("job-page", "GET", location)
        if page is not None and page.status_code == 200:
            if "Đã xong" in page.text:
                return "done"
            if "bị lỗi" in page.text:
                return "failed"
        await asyncio.sleep(0.5)
    return "unfinished"


async def _kill_mid_way(deployment: Deployment, start: float, load: Load) -> float:
    await asyncio.sleep(KILL_AT)
    load.jobs_running_at_kill = await _jobs_running()
    killed_at = time.monotonic()
    deployment.web[0].kill_9()
    for worker in deployment.workers:
        worker.kill_9()
    await asyncio.sleep(1.0)
    deployment.start_worker()
    return killed_at - start


async def _units() -> dict[str, int]:
    connection = await _database()
    try:
        rows = await connection.fetch("SELECT code, id FROM org_unit WHERE code LIKE 'dt.xa.%'")
    finally:
        await connection.close()
    return {row["code"]: row["id"] for row in rows}


async def _stored(ids: list[int]) -> dict[int, tuple[str, str]]:
    connection = await _database()
    try:
        rows = await connection.fetch(
            "SELECT id, full_name, occupation FROM candidate WHERE id = ANY($1::int[])", ids
        )
    finally:
        await connection.close()
    return {row["id"]: (row["full_name"], row["occupation"]) for row in rows}


async def _procrastinate_counts() -> dict[str, int] | None:
    """The re-evaluation jobs in the queue by status, when jobs are in a queue."""
    connection = await _database()
    try:
        if await connection.fetchval("SELECT to_regclass('procrastinate_jobs')") is None:
            return None
        rows = await connection.fetch(
            "SELECT status::text, count(*) FROM procrastinate_jobs "
            "WHERE task_name LIKE '%reevaluat%' GROUP BY status"
        )
    finally:
        await connection.close()
    return {row["status"]: row["count"] for row in rows}


async def _jobs_running() -> int | None:
    counts = await _procrastinate_counts()
    return None if counts is None else counts.get("doing", 0)


_HTTPLOG = re.compile(r' \d+/\d+/\d+/\d+/(\+?)(\d+) \d+/\d+ "(\w+) ')


def _retried(log: Path) -> list[str]:
    """The methods of the requests HAProxy sent again (its log's retries field)."""
    return [
        method
        for redispatched, retries, method in _HTTPLOG.findall(log.read_text(errors="replace"))
        if redispatched or int(retries)
    ]


def _figures_table(figures: dict[str, str]) -> str:
    width = max(len(k) for k in figures)
    lines = [f"{key:<{width}}  {value}" for key, value in figures.items()]
    return "\n".join(lines)


async def test_rehearsal_kill_9_one_web_process_and_the_worker(deployment: Deployment) -> None:
    units = await _units()
    load = Load()
    users = [
        PortalUser(deployment.base, SLUG, f"bien.tap.{n}", load.requests)
        for n in range(WRITERS + 1)
    ]
    for user in users:
        await user.sign_in(PASSWORD)
        load.sessions[user.username] = (user.session_cookie, True)

    started = time.monotonic()
    until = started + LOAD_SECONDS
    killer = asyncio.create_task(_kill_mid_way(deployment, started, load))
    await asyncio.gather(
        _jobs(users[0], units["dt.xa.0"], load, until),
        *(_writer(user, units[f"dt.xa.{n}"], load, until) for n, user in enumerate(users) if n),
    )
    kill_offset = await killer
    killed_at = started + kill_offset
    ended = time.monotonic()
    in_process = worker_command() is None
    outcomes = await asyncio.gather(
        *(
            # A job run inside web0 could only have finished before the kill.
            _job_outcome(users[0], job, 3 if in_process and server == "web0" else JOB_WAIT)
            for job, server in load.jobs
        )
    )
    jobs_drained = time.monotonic() - ended
    for user in users:
        cookie, working = load.sessions[user.username]
        still = await user.request("read", "GET", f"/t/{SLUG}/")
        kept = working and still is not None and still.status_code == 200
        load.sessions[user.username] = (cookie, kept and user.session_cookie == cookie)
        await user.close()

    stored = await _stored(list(load.created))
    lost_creates = [i for i, name in load.created.items() if stored.get(i, ("", ""))[0] != name]
    lost_edits = []
    for candidate_id, sent in load.edited.items():
        acknowledged = [i for i, (_, ok) in enumerate(sent) if ok]
        if not acknowledged:
            continue
        # The last acknowledged value, or one sent after it that committed unacknowledged.
        possible = {value for value, _ in sent[acknowledged[-1] :]}
        if stored.get(candidate_id, ("", ""))[1] not in possible:
            lost_edits.append(candidate_id)
    failed = [r for r in load.requests if r.failed]
    failed_elsewhere = [r for r in failed if not r.in_flight_at(killed_at)]
    after_kill = [r for r in load.requests if r.started > killed_at + 0.5]
    served_after = sorted({r.server or "?" for r in after_kill})
    edits_acknowledged = sum(ok for sent in load.edited.values() for _, ok in sent)
    queue = await _procrastinate_counts()
    retried = _retried(deployment.folder / "px.log")
    worker = "nguon worker" if worker_command() else "in the web process (no worker yet)"

    figures = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}",
        "processes": f"HAProxy, {WEB_PROCESSES} web, jobs {worker}, Postgres, Redis",
        "load": f"{WRITERS + 1} signed-in users for {LOAD_SECONDS:.0f} s; "
        f"kill -9 of web0 and the worker at {kill_offset:.1f} s",
        "requests": f"{len(load.requests)} ({len(after_kill)} after the kill, "
        f"served by {', '.join(served_after)})",
        "wall time": f"set-up {deployment.setup_seconds:.0f} s, load {LOAD_SECONDS:.0f} s, "
        f"jobs drained {jobs_drained:.0f} s",
        "in flight at the kill": str(sum(r.in_flight_at(killed_at) for r in load.requests)),
        "retried by HAProxy": f"{len(retried)} ({', '.join(sorted(set(retried))) or '-'})",
        "failed requests": f"{len(failed)} ({', '.join(r.kind for r in failed) or '-'}; "
        "all in flight on web0 at the kill: "
        f"{'yes' if not failed_elsewhere else 'NO'})",
        "writes acknowledged": f"{len(load.created)} creates, {edits_acknowledged} edits",
        "lost writes": str(len(lost_creates) + len(lost_edits)),
        "sessions kept": f"{sum(kept for _, kept in load.sessions.values())}/{len(users)}",
        "jobs finished": f"{outcomes.count('done')}/{len(load.jobs)}"
        + (
            f" ({len(load.jobs) - outcomes.count('done')} lost with web0)"
            if worker_command() is None
            else ""
        )
        + (
            f" (queue: {queue}; running at the kill: {load.jobs_running_at_kill})"
            if queue is not None
            else ""
        ),
    }
    print("\n" + _figures_table(figures))

    assert len(load.created) > 10 and edits_acknowledged > 10 and len(load.jobs) >= 4
    assert failed_elsewhere == [], failed_elsewhere
    assert {r.kind for r in failed} <= {"create", "edit", "job"}, failed  # GETs are retried
    assert "web0" not in served_after and len(served_after) == WEB_PROCESSES - 1
    assert lost_creates == [] and lost_edits == []
    assert all(kept for _, kept in load.sessions.values()), load.sessions
    if worker_command() is not None:
        assert outcomes == ["done"] * len(load.jobs)
        if queue is not None:  # one queued job per job asked for, each succeeded once
            assert queue == {"succeeded": len(load.jobs)}, queue
    else:
        # Jobs run inside the web process that took the request die with it: only jobs
        # taken by web0 may be left unfinished.
        asked = list(zip(load.jobs, outcomes, strict=True))
        assert {server for (_, server), outcome in asked if outcome != "done"} <= {"web0"}, asked
