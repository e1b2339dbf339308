#!/usr/bin/env python3
"""One entry point for a fresh machine that has only Python 3.11 and pip.

    python3 dev.py demo     the portal on SQLite with the Hưng Yên tenant, http://127.0.0.1:8000
    python3 dev.py test     ruff, then the whole test suite (Postgres tests included)

Both create ./.venv and install the project and every plugin under plugins/ into it the
first time (and again whenever a pyproject.toml of them changes). Extra arguments go to the
command (``dev.py test -k onboarding``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".nguon-installed"
PLUGINS = ROOT / "plugins"


def _run(*command: str | os.PathLike[str]) -> None:
    result = subprocess.run([str(part) for part in command], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_environment() -> None:
    if sys.version_info[:2] not in {(3, 11), (3, 12)}:
        found = sys.version.split()[0]
        sys.exit(f"Nguồn needs Python 3.11 or 3.12 (durable-rules does not build on {found}).")
    plugins = sorted(p.parent.relative_to(ROOT) for p in PLUGINS.glob("*/pyproject.toml"))
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    for plugin in plugins:
        digest.update(f"\0{plugin}\0".encode() + (ROOT / plugin / "pyproject.toml").read_bytes())
    wanted = digest.hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Nguồn and its dependencies into .venv …", flush=True)
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    editables = [arg for plugin in plugins for arg in ("-e", plugin)]
    _run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]", *editables)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"demo", "test"}:
        sys.exit(__doc__)
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        os.execv(BIN / "nguon", [str(BIN / "nguon"), "demo", *rest])
    _run(BIN / "ruff", "check", ".")
    _run(BIN / "ruff", "format", "--check", ".")
    os.execv(BIN / "python", [str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    main(sys.argv[1:])
