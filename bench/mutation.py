"""Mutation testing of the core, module group by module group, with mutmut.

    .venv/bin/python -m bench.mutation                 # every group, one after another
    .venv/bin/python -m bench.mutation accounts rules  # some groups
    .venv/bin/python -m bench.mutation --list          # the groups and their tests
    .venv/bin/python -m bench.mutation --report        # the scores of the last runs

Each group is mutated in its own staging copy of the repository under ``.mutation/GROUP``
(``platform/`` renamed ``src/``, so that mutmut names the modules ``nguon.…`` as they are
imported) and only the tests mapped to it below run against each mutant; mutmut runs just
the tests that reach the mutated function. The score of a group is killed / (killed +
survived + no tests + timeouts); suspicious and skipped mutants are listed apart. A
re-run continues where the last one stopped (mutmut keeps its state per staging copy);
``--fresh`` starts over.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import msgspec
from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[1]
STAGING = ROOT / ".mutation"
COPIED = ("rules", "tenants", "plugins", "tests", "docs", "bench", "infra")
IGNORED = shutil.ignore_patterns(
    ".venv", ".git", "mutants", "__pycache__", "*.egg-info", ".nguon", "*.sqlite"
)


class Group(msgspec.Struct, frozen=True):
    sources: tuple[str, ...]
    """Globs of the files mutated, relative to the staging copy (``src/`` is ``platform/``)."""
    tests: tuple[str, ...]
    """The tests that exercise them (pytest paths or node ids)."""
    select: str = "not postgres"
    """A ``-k`` expression: by default the SQLite half of tests run on both engines, since
    every mutant restarts the test session (the Postgres half proves the same on RLS)."""


GROUPS: dict[str, Group] = {
    "accounts": Group(
        sources=("src/nguon/accounts/*",),
        tests=(
            "tests/accounts",
            "tests/http/test_permissions.py",
            "tests/http/test_auth_api.py",
            "tests/http/test_session_writes.py",
            "tests/security/test_sign_in.py",
            "tests/security/test_isolation.py",
            "tests/portal/test_throttle.py",
        ),
        # A request's access is derived from the kept tree on Postgres only.
        select="not postgres or test_user_access",
    ),
    "tenancy": Group(
        sources=("src/nguon/tenancy/*",),
        tests=(
            "tests/tenancy",
            "tests/onboarding",
            "tests/merge",
            # `nguon tenant restructure` prints its report from tenancy/cli.py.
            "tests/restructure/test_cli.py",
            "tests/security/test_isolation.py",
        ),
    ),
    "db_security": Group(
        sources=("src/nguon/db/security.py",),
        tests=(
            "tests/tenancy",
            "tests/http/test_tenant_reaches_postgres.py",
            "tests/merge/test_merge_rls.py",
        ),
        select="postgres",
    ),
    "rules": Group(
        sources=("src/nguon/rules/*",),
        tests=("tests/rules", "tests/pipeline/test_evaluation.py"),
    ),
    "pipeline": Group(
        sources=("src/nguon/pipeline/*",),
        tests=(
            "tests/pipeline",
            "tests/courses",
            "tests/e2e",
            "tests/security/test_audit_trail.py",
            "tests/portal/test_list_flow_rules.py",
        ),
    ),
    "reports": Group(
        sources=("src/nguon/reports/*",),
        # The figures API (reports/routes.py) is read by tests/api/test_reads.py.
        tests=("tests/reports", "tests/portal/test_plans.py", "tests/api/test_reads.py"),
    ),
    "webhooks": Group(
        sources=("src/nguon/plugins_builtin/webhooks/*",),
        # deliver_one runs in the job queue: tests/jobs reaches it.
        tests=("tests/plugins", "tests/jobs/test_deliveries.py"),
        select="not postgres or test_deliveries",  # those run on Postgres only
    ),
    "list_forms": Group(
        sources=("src/nguon_list_forms_xlsx/*",),
        tests=("plugins/list_forms_xlsx/tests", "tests/pipeline/test_list_export.py"),
    ),
}

UNSCORED = {"skipped", "suspicious", "not checked", "check was interrupted by user"}
"""Statuses left out of a score (mutmut's names); every other counts, killed or not."""


class Score(msgspec.Struct):
    group: str
    counts: dict[str, int]
    seconds: float | None = None

    @property
    def scored(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in UNSCORED)

    @property
    def percent(self) -> float:
        return 100.0 * self.counts.get("killed", 0) / self.scored if self.scored else 0.0


def stage(name: str, group: Group, fresh: bool) -> Path:
    """A copy of the repository for one group, with its mutmut configuration."""
    where = STAGING / name
    if fresh and where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True, exist_ok=True)
    source = where / "src"
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(ROOT / "platform", source, ignore=IGNORED)
    forms = ROOT / "plugins" / "list_forms_xlsx" / "nguon_list_forms_xlsx"
    shutil.copytree(forms, source / forms.name, ignore=IGNORED)
    for folder in COPIED:
        target = where / folder
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / folder, target, ignore=IGNORED)
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings = {
        "source_paths": ["src"],
        "only_mutate": list(group.sources),
        "also_copy": list(COPIED),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x", "-k", group.select],
        "pytest_add_cli_args_test_selection": list(group.tests),
        # 15 × the baseline (mutmut's default) let one redirect-loop mutant hang for minutes.
        "timeout_multiplier": 3.0,
        # A mutant's run also makes its test session's databases (migrations: seconds of
        # processor time its tests' durations do not count); 1 s (the default) timed out
        # mutants the tests had failed.
        "timeout_constant": 20.0,
        # Forked from a process that collected the tests but ran none: forked from mutmut's
        # main process (its default), a mutant's portal tests inherited the stats run's
        # pools and loops and hung until the timeout — survivors counted as timeouts.
        "process_isolation": "forkserver",
    }
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()]
    (where / "pyproject.toml").write_text(
        project + "\n[tool.mutmut]\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    return where


def run(name: str, group: Group, fresh: bool, children: int) -> Score:
    if children > 1 and group.select != "not postgres":
        # Every mutant's test session drops and makes the group's test database again.
        print(f"{name}: its tests use Postgres: one mutant at a time, not {children}")
        children = 1
    where = stage(name, group, fresh)
    database = os.environ.get("NGUON_MUTATION_DATABASE", "nguon_mutation")
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(["src", "."]),
        # A caller sharing the machine names its own database and Redis db:
        # NGUON_MUTATION_DATABASE (suffixed with the group) and NGUON_TEST_REDIS_URL.
        "NGUON_TEST_DATABASE": f"{database}_{name}",
        "CI": "true",
        "NGUON_MUTATION": "1",  # tests/conftest.py: failing examples are not shrunk
    }
    mutmut = Path(sys.executable).with_name("mutmut")
    started = time.monotonic()
    subprocess.run(
        [str(mutmut), "run", "--max-children", str(children)],
        cwd=where,
        env=environment,
        stdout=(where / "mutmut.log").open("w"),
        stderr=subprocess.STDOUT,
        check=False,
    )
    score = score_of(name)
    score.seconds = time.monotonic() - started
    (where / "score.json").write_bytes(msgspec.json.encode(score))
    return score


def score_of(name: str) -> Score:
    counts: Counter[str] = Counter()
    for meta in (STAGING / name / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for code in data.get("exit_code_by_key", {}).values():
            counts[status_by_exit_code[code]] += 1
    return Score(group=name, counts=dict(counts))


def survivors(name: str) -> list[str]:
    mutmut = Path(sys.executable).with_name("mutmut")
    shown = subprocess.run(
        [str(mutmut), "results"],
        cwd=STAGING / name,
        env={**os.environ, "PYTHONPATH": "src:."},
        capture_output=True,
        text=True,
        check=False,
    )
    return [line.strip() for line in shown.stdout.splitlines() if line.strip()]


def report(names: list[str]) -> None:
    columns = ("killed", "survived", "no tests", "timeout")
    print(f"{'group':<12} " + " ".join(f"{c:>9}" for c in columns) + f" {'score':>7}")
    for name in names:
        saved = STAGING / name / "score.json"
        if not saved.exists():
            continue
        score = msgspec.json.decode(saved.read_bytes(), type=Score)
        counts = " ".join(f"{score.counts.get(c, 0):>9}" for c in columns)
        print(f"{name:<12} {counts} {score.percent:>6.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"of {', '.join(GROUPS)}")
    parser.add_argument("--list", action="store_true", help="the groups and their tests")
    parser.add_argument("--report", action="store_true", help="the scores of the last runs")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("--fresh", action="store_true", help="start the groups over")
    parser.add_argument("--children", type=int, default=1, help="mutants run at once")
    arguments = parser.parse_args()
    unknown = set(arguments.groups) - GROUPS.keys()
    if unknown:
        parser.error(f"unknown group {', '.join(sorted(unknown))}; the groups: {', '.join(GROUPS)}")
    names = arguments.groups or list(GROUPS)
    if arguments.list:
        for name in names:
            print(f"{name}: {', '.join(GROUPS[name].sources)} ← {' '.join(GROUPS[name].tests)}")
        return
    if arguments.report:
        report(names)
        return
    if arguments.survivors:
        for name in names:
            print(f"# {name}")
            print("\n".join(survivors(name)))
        return
    for name in names:
        score = run(name, GROUPS[name], arguments.fresh, arguments.children)
        seconds = f"{score.seconds:.0f} s"
        print(f"{name}: {score.percent:.1f}% of {score.scored} mutants killed in {seconds}")
    report(names)


if __name__ == "__main__":
    main()
