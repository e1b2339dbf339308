"""Mutation testing of the core, module group by module group, with mutmut.

    .venv/bin/python -m bench.mutation                 # every group, one after another
    .venv/bin/python -m bench.mutation accounts rules  # some groups
    .venv/bin/python -m bench.mutation --list          # the groups and their tests
    .venv/bin/python -m bench.mutation --report        # the scores of the last runs
    .venv/bin/python -m bench.mutation --sample 120 rules  # a seeded sample of each group

Each group is mutated in its own staging copy of the repository under ``.mutation/GROUP``
(``platform/`` renamed ``src/``, so that mutmut names the modules ``nguon.…`` as they are
imported) and only the tests mapped to it below run against each mutant; mutmut runs just
the tests that reach the mutated function. The score of a group is killed / (killed +
survived + no tests + timeouts); suspicious and skipped mutants are listed apart. A
re-run continues where the last one stopped (mutmut keeps its state per staging copy);
``--fresh`` starts over.

``--sample N`` runs, in each group, a uniform random sample of N of its mutants (all of them
if it has no more): the N whose hash with ``--seed`` ranks first, so the same seed chooses
the same mutants again (a re-run after new tests re-checks them) and a mutant added or
removed changes the sample by one. The score of a sample is given with its 95 % Wilson
interval.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
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
            # pipeline/publication.py and whatif_job.py are driven by `nguon rules publish`
            # and the what-if job, tested with the rules; evaluation_view.py by the reads API.
            "tests/rules/test_publication.py",
            "tests/rules/test_whatif_job.py",
            "tests/api/test_reads.py",
        ),
    ),
    "reports": Group(
        sources=("src/nguon/reports/*",),
        # The figures API (reports/routes.py) is read by tests/api/test_reads.py.
        # A dashboard's pressing deadlines are checked with the admission road's tests.
        tests=(
            "tests/reports",
            "tests/portal/test_plans.py",
            "tests/api/test_reads.py",
            "tests/courses/test_admission_road.py",
        ),
        # Figures are kept (and their versions summed) on Postgres only.
        select="not postgres or test_figures_kept or test_a_process_keeps_the_sum",
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


SEED = 17
"""The default ``--seed``: one fixed sample per group, run after run."""
ARGUMENTS_LENGTH = 100_000
"""Characters of mutant names given to one ``mutmut run`` (the system allows about 2 MB;
each call also runs the clean tests of its mutants once, so fewer calls are faster)."""

# Generates the mutants of a staged group, as ``mutmut run`` does before its first test
# (mutmut 3.8 has no command for it): run in the staging copy.
GENERATE = """
from mutmut.__main__ import (
    copy_also_copy_files, copy_src_dir, create_mutants, set_mutant_under_test,
    setup_source_paths, store_lines_covered_by_tests,
)
set_mutant_under_test("mutant_generation")
copy_src_dir()
copy_also_copy_files()
setup_source_paths()
store_lines_covered_by_tests()
create_mutants(1)
"""


class Mutant(msgspec.Struct, frozen=True):
    name: str
    module: str
    """The mutated file, relative to ``src/``."""
    status: str
    """mutmut's name for its last result ("not checked" before any)."""


class Count(msgspec.Struct):
    counts: dict[str, int]

    @property
    def killed(self) -> int:
        return self.counts.get("killed", 0)

    @property
    def survived(self) -> int:
        return self.counts.get("survived", 0)

    @property
    def scored(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in UNSCORED)

    @property
    def other(self) -> int:
        """Scored but neither killed nor survived: no tests, timeouts, segfaults."""
        return self.scored - self.killed - self.survived

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.scored if self.scored else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.killed, self.scored)


class Score(msgspec.Struct):
    group: str
    counts: dict[str, int]
    seconds: float | None = None
    mutants: int | None = None
    """Mutants generated in the group (of a sampled run)."""
    sample: int | None = None
    """Mutants in the sample; None when the whole group ran."""
    seed: int | None = None
    by_module: dict[str, dict[str, int]] = {}
    """The sample's counts by mutated file (of a sampled run)."""

    @property
    def scored(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in UNSCORED)

    @property
    def percent(self) -> float:
        return 100.0 * self.counts.get("killed", 0) / self.scored if self.scored else 0.0


def wilson(killed: int, scored: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion, in percent ((0, 100) with no trials)."""
    if scored == 0:
        return (0.0, 100.0)
    p = killed / scored
    denominator = 1 + z * z / scored
    centre = (p + z * z / (2 * scored)) / denominator
    half = z * math.sqrt(p * (1 - p) / scored + z * z / (4 * scored * scored)) / denominator
    low = 0.0 if killed == 0 else 100.0 * (centre - half)
    high = 100.0 if killed == scored else 100.0 * (centre + half)
    return (low, high)


def rank(name: str, seed: int) -> bytes:
    return hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=16).digest()


def sample(names: Iterable[str], size: int, seed: int = SEED) -> list[str]:
    """A uniform random sample of ``size`` names (all of them if fewer), sorted.

    Each name is ranked by a hash of it with the seed, and the first ``size`` are taken: the
    same seed gives the same sample, and adding or removing one name changes it by at most
    one name.
    """
    return sorted(sorted(set(names), key=lambda name: rank(name, seed))[: max(size, 0)])


def batches(names: Sequence[str], length: int = ARGUMENTS_LENGTH) -> list[list[str]]:
    """The names in consecutive batches of at most ``length`` characters (one name at least)."""
    out: list[list[str]] = []
    current: list[str] = []
    used = 0
    for name in names:
        if current and used + len(name) + 1 > length:
            out.append(current)
            current, used = [], 0
        current.append(name)
        used += len(name) + 1
    if current:
        out.append(current)
    return out


def tally(mutants: Iterable[Mutant]) -> tuple[Count, dict[str, Count]]:
    """Counts of statuses, over all and by module."""
    total: Counter[str] = Counter()
    by_module: dict[str, Counter[str]] = {}
    for mutant in mutants:
        total[mutant.status] += 1
        by_module.setdefault(mutant.module, Counter())[mutant.status] += 1
    return Count(dict(total)), {m: Count(dict(c)) for m, c in sorted(by_module.items())}


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


def run(
    name: str,
    group: Group,
    fresh: bool,
    children: int,
    size: int | None = None,
    seed: int = SEED,
) -> Score:
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
    if size is None:
        subprocess.run(
            [str(mutmut), "run", "--max-children", str(children)],
            cwd=where,
            env=environment,
            stdout=(where / "mutmut.log").open("w"),
            stderr=subprocess.STDOUT,
            check=False,
        )
        score = score_of(name)
    else:
        subprocess.run(
            [sys.executable, "-c", GENERATE],
            cwd=where,
            env=environment,
            stdout=(where / "generate.log").open("w"),
            stderr=subprocess.STDOUT,
            check=True,
        )
        chosen = set(sample((m.name for m in mutants_of(name)), size, seed))
        # Killed stays killed while its function is unchanged (mutmut forgets the result of
        # a changed one): the rest is run again, which also continues a stopped run.
        pending = [m.name for m in mutants_of(name) if m.name in chosen and m.status != "killed"]
        with (where / "mutmut.log").open("w") as log:
            for names in batches(pending):
                subprocess.run(
                    [str(mutmut), "run", "--max-children", str(children), *names],
                    cwd=where,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
        score = sampled_score(name, size, seed)
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


def mutants_of(name: str) -> list[Mutant]:
    """Every mutant generated in a staged group, with its last result."""
    found: list[Mutant] = []
    mutants = STAGING / name / "mutants"
    for meta in sorted(mutants.rglob("*.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        module = str(meta.relative_to(mutants / "src").with_suffix(""))
        for key, code in data.get("exit_code_by_key", {}).items():
            found.append(Mutant(name=key, module=module, status=status_by_exit_code[code]))
    return found


def sampled_score(name: str, size: int, seed: int) -> Score:
    everything = mutants_of(name)
    chosen = set(sample((m.name for m in everything), size, seed))
    total, by_module = tally(m for m in everything if m.name in chosen)
    return Score(
        group=name,
        counts=total.counts,
        mutants=len(everything),
        sample=len(chosen),
        seed=seed,
        by_module={module: count.counts for module, count in by_module.items()},
    )


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
    print(
        f"{'group / module':<44} {'mutants':>7} {'sample':>6} {'killed':>6} {'survived':>8}"
        f" {'other':>5} {'unrun':>5} {'score':>7}  95 % interval"
    )
    for name in names:
        saved = STAGING / name / "score.json"
        if not saved.exists():
            continue
        score = msgspec.json.decode(saved.read_bytes(), type=Score)
        if score.sample is not None and score.seed is not None:
            # Read again: mutants re-run by name since (``mutmut run NAME``) count as they are.
            score = sampled_score(name, score.sample, score.seed)
        mutants = score.mutants if score.mutants is not None else sum(score.counts.values())
        sample = "all" if score.sample is None else str(score.sample)
        print(line(name, mutants, sample, Count(score.counts)))
        for module, counts in score.by_module.items():
            print(line(f"  {module}", None, str(sum(counts.values())), Count(counts)))


def line(label: str, mutants: int | None, sample: str, count: Count) -> str:
    low, high = count.interval
    unrun = sum(count.counts.values()) - count.scored
    return (
        f"{label:<44} {'' if mutants is None else mutants:>7} {sample:>6} {count.killed:>6}"
        f" {count.survived:>8} {count.other:>5} {unrun:>5} {count.percent:>6.1f}%"
        f"  {low:.1f}–{high:.1f} %"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"of {', '.join(GROUPS)}")
    parser.add_argument("--list", action="store_true", help="the groups and their tests")
    parser.add_argument("--report", action="store_true", help="the scores of the last runs")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("--fresh", action="store_true", help="start the groups over")
    parser.add_argument("--children", type=int, default=1, help="mutants run at once")
    parser.add_argument(
        "--sample", type=int, metavar="N", help="run a seeded sample of N mutants of each group"
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"of the sample (default {SEED})")
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
        score = run(
            name,
            GROUPS[name],
            arguments.fresh,
            arguments.children,
            arguments.sample,
            arguments.seed,
        )
        seconds = f"{score.seconds:.0f} s"
        print(f"{name}: {score.percent:.1f}% of {score.scored} mutants killed in {seconds}")
    report(names)


if __name__ == "__main__":
    main()
