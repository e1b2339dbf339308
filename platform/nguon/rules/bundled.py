"""The rules packages shipped in this repository's ``rules/`` folder.

They are data folders, registered through the ``nguon.rules`` entry point by path.
"""

from __future__ import annotations

from pathlib import Path

RULES_ROOT = Path(__file__).resolve().parents[3] / "rules"

NATIONAL = RULES_ROOT / "national"
HUNGYEN = RULES_ROOT / "hungyen"
