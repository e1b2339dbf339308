"""``docs/operators.md`` as an operator follows it: every ``sh`` block, in order, in one
bash session, in a temporary folder, against a Postgres database and roles made for the
run; the guide ends by serving the app and making a signed-in request to it."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import click
import msgspec
import pytest

from nguon.cli import main
from nguon.db.engine import postgres_config
from tests.conftest import ADMIN_URL, _unavailable
from tests.onboarding.conftest import REPO

GUIDE = REPO / "docs" / "operators.md"
FENCE = re.compile(r"^```(?P<info>[^`]*)$")


class Block(msgspec.Struct, frozen=True):
    line: int
    """The line of the opening fence in operators.md."""
    info: str
    code: str


def guide_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    opened: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if fence is None:
            if opened is not None:
                body.append(line)
            continue
        if opened is None:
            opened, body = (number, fence.group("info").strip()), []
        else:
            blocks.append(Block(line=opened[0], info=opened[1], code="\n".join(body) + "\n"))
            opened = None
    assert opened is None, f"operators.md:{opened[0]}: a code block is never closed"
    return blocks


def _shell_blocks() -> list[Block]:
    return [
        block for block in guide_blocks(GUIDE.read_text(encoding="utf-8")) if block.info == "sh"
    ]


def _shown_commands() -> list[tuple[int, list[str]]]:
    commands = []
    for block in guide_blocks(GUIDE.read_text(encoding="utf-8")):
        if block.info not in {"sh", "console"}:
            continue
        for line in block.code.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].split(" | ", 1)[0].split(" > ", 1)[0].strip()
            if line.startswith("nguon "):
                commands.append((block.line, shlex.split(line)[1:]))
    return commands


def test_every_command_in_the_guide_exists_with_its_options() -> None:
    commands = _shown_commands()
    assert len(commands) >= 15
    for line, args in commands:
        command: click.Command = main
        while isinstance(command, click.Group) and args and not args[0].startswith("-"):
            assert args[0] in command.commands, f"operators.md:{line}: {args}"
            command, args = command.commands[args[0]], args[1:]
        assert not isinstance(command, click.Group), f"operators.md:{line}: {args}"
        options = {opt for param in command.params for opt in param.opts}
        for token in args:
            if token.startswith("--"):
                name = token.split("=", 1)[0]
                assert name in options, f"operators.md:{line}: {command.name} {name}"


def test_the_walk_through_starts_a_server_and_signs_in() -> None:
    code = "".join(block.code for block in _shell_blocks())
    assert "nguon db setup" in code and "nguon db migrate" in code and "nguon check" in code
    assert "--structure tenants/hungyen-2025-07-01.toml" in code
    assert re.search(r"^nguon serve .*&$", code, flags=re.M)
    assert re.search(r"^nguon worker .*&$", code, flags=re.M)  # imports wait for it
    assert "grep '^✓ worker'" in code
    assert "Authorization: Bearer $TOKEN" in code


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _url(role: str, password: str, database: str) -> str:
    config = postgres_config(ADMIN_URL)
    return f"postgresql://{role}:{password}@{config['host']}:{config['port']}/{database}"


async def _drop(database: str, roles: tuple[str, ...]) -> None:
    admin = await asyncpg.connect(**postgres_config(ADMIN_URL), timeout=5)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        for role in roles:
            await admin.execute(f"DROP ROLE IF EXISTS {role}")
    finally:
        await admin.close()


def _stop_group(group: int) -> None:
    """SIGTERM to the session's process group (the server started in the background),
    then SIGKILL to whatever is still there after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def _script(blocks: list[Block], folder: Path) -> Path:
    lines = ["set -eo pipefail"]
    for index, block in enumerate(blocks):
        path = folder / f".guide-block-{index:02d}.sh"
        path.write_text(block.code, encoding="utf-8")
        lines.append(f"printf '%s\\n' {block.line} > .guide-current-block")
        lines.append(f"source {shlex.quote(str(path))}")
    lines.append("printf 'done\\n' > .guide-current-block")
    script = folder / ".guide.sh"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return script


@pytest.mark.postgres
def test_the_operators_guide_runs_on_postgres(tmp_path: Path) -> None:
    try:
        asyncio.run(_drop("nguon_guide_probe_never_made", ()))
    except (OSError, asyncpg.PostgresError) as error:
        _unavailable(str(error))
    run = uuid.uuid4().hex[:12]
    database, owner, app = (
        f"nguon_guide_{run}",
        f"nguon_guide_owner_{run}",
        f"nguon_guide_app_{run}",
    )
    shutil.copytree(REPO / "tenants", tmp_path / "tenants")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NGUON_", "PROMETHEUS_"))
    }
    environment.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        NGUON_ADMIN_URL=ADMIN_URL,
        NGUON_MIGRATE_DATABASE_URL=_url(owner, secrets.token_urlsafe(18), database),
        NGUON_DATABASE_URL=_url(app, secrets.token_urlsafe(18), database),
        NGUON_SECRET_KEY=secrets.token_urlsafe(48),
        NGUON_PORT=str(_free_port()),
    )
    script = _script(_shell_blocks(), tmp_path)
    started = time.monotonic()
    shell = subprocess.Popen(
        ["bash", str(script)],
        cwd=tmp_path,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = shell.communicate(timeout=900)
    finally:
        _stop_group(shell.pid)
        asyncio.run(_drop(database, (app, owner)))
    seconds = time.monotonic() - started
    current = (tmp_path / ".guide-current-block").read_text().strip()
    server_log = tmp_path / "nguon-serve.log"
    if shell.returncode != 0:
        log = server_log.read_text()[-3000:] if server_log.exists() else ""
        pytest.fail(
            f"docs/operators.md:{current}: this sh block failed (exit {shell.returncode}):\n"
            f"{output[-4000:]}\n--- nguon-serve.log ---\n{log}"
        )
    assert current == "done"
    units = json.loads((tmp_path / "units.json").read_text())["items"]
    assert any(unit["code"] == "hy" for unit in units), "the signed-in request read no units"
    assert '"logger":"nguon.access"' in server_log.read_text()
    # The 2024 manifest tells the operator how to reach today's province.
    assert (
        "nguon tenant merge thaibinh --into hungyen --on 2025-07-01 "
        "--structure tenants/hungyen-2025-07-01.toml"
    ) in (tmp_path / "onboard-hungyen.txt").read_text()
    # What the guide shows `nguon tenant list` printing is what it prints.
    blocks = guide_blocks(GUIDE.read_text(encoding="utf-8"))
    listed = [
        after
        for before, after in itertools.pairwise(blocks)
        if before.info == "sh" and before.code.rstrip().endswith("nguon tenant list")
    ]
    assert listed and listed[0].info == "text"
    for line in listed[0].code.splitlines():
        assert line in output.splitlines(), f"operators.md:{listed[0].line}: not printed: {line}"
    print(output)
    print(f"operators.md ran in {seconds:.0f} s")


def test_a_failing_block_is_named_by_its_line(tmp_path: Path) -> None:
    blocks = [
        Block(line=10, info="sh", code="echo first > first.txt\n"),
        Block(line=20, info="sh", code="false\necho never > never.txt\n"),
        Block(line=30, info="sh", code="echo never > after.txt\n"),
    ]
    result = subprocess.run(
        ["bash", str(_script(blocks, tmp_path))], cwd=tmp_path, capture_output=True, check=False
    )
    assert result.returncode != 0
    assert (tmp_path / ".guide-current-block").read_text().strip() == "20"
    assert (tmp_path / "first.txt").exists()
    assert not (tmp_path / "never.txt").exists() and not (tmp_path / "after.txt").exists()
