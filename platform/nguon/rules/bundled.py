"""The rules packages shipped in this repository's ``rules/`` folder.

They are data folders, registered through the ``nguon.rules`` entry point by path. An
installed copy (a container image) points ``NGUON_RULES_ROOT`` at where it put them.
"""

from __future__ import annotations

import os
from pathlib import Path

RULES_ROOT = Path(
    os.environ.get("NGUON_RULES_ROOT") or Path(__file__).resolve().parents[3] / "rules"
)

NATIONAL = RULES_ROOT / "national"
HUNGYEN = RULES_ROOT / "hungyen"
