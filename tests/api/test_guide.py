"""The API guide cannot drift: its Python blocks, in order, run as one script against a
real server on Postgres, walking a village cell of today's Hưng Yên through the three steps
(``docs/api.md``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE, TEST_ROLES, Database, role_url
from tests.http.conftest import PASSWORD, build_today_world
from tests.jobs.workers import worker
from tests.portal.servers import ROOT, server

GUIDE = ROOT / "docs" / "api.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)

pytestmark = pytest.mark.postgres


def guide_script() -> str:
    blocks = PYTHON_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))
    return "\n\n".join(blocks)


def test_the_guide_has_python_blocks_for_each_part_of_the_walk() -> None:
    script = guide_script()
    for call in ("/auth/token", "/evaluation", '"/lists"', "/chain", "/reevaluate", "/figures"):
        assert call in script, call


async def test_the_python_walk_through_runs_against_a_served_app(
    postgres_db: Database, tmp_path: Path
) -> None:
    world = await build_today_world(postgres_db, "guide")
    log = tmp_path / "server.log"
    # On Postgres jobs (the re-evaluation the guide asks for) run on a worker, as deployed.
    with (
        server(role_url(TEST_ROLES.app, TEST_DATABASE), log=log) as base,
        worker(log=tmp_path / "worker.log"),
    ):
        env = {
            **os.environ,
            "NGUON_URL": base,
            "NGUON_PROVINCE": world.slug,
            "NGUON_CELL_USER": "cell_x_editor",
            "NGUON_CELL_PASSWORD": PASSWORD,
            "NGUON_COMMUNE_USER": "committee_approver",
            "NGUON_COMMUNE_PASSWORD": PASSWORD,
        }
        run = subprocess.run(
            [sys.executable, "-c", guide_script()],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n--- server ---\n{log.read_text()}"
    # The walk prints the chain and the reasons it read.
    assert "Chi bộ thôn Ngọc Đà → Đảng ủy xã Như Quỳnh → Ban Tổ chức Tỉnh ủy" in run.stdout
    assert "in_source: 1" in run.stdout
