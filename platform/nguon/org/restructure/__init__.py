"""Restructuring a tenant's tree on a date, from a file (TOML or XLSX): units opened,
moved, renamed, merged and closed, and everything that follows the successors.

``load_restructuring`` reads a file (:mod:`.spec`, :mod:`.xlsx`); ``plan_restructuring``
checks it against the tenant and works out the change (:mod:`.changes`, :mod:`.plan`);
``apply_restructuring`` makes it in the caller's transaction (:mod:`.apply`);
``restructure_file`` does all three in a transaction of its own (:mod:`.run`).
"""

from nguon.org.restructure.apply import RestructuringReport, apply_restructuring
from nguon.org.restructure.plan import (
    RestructuringPlan,
    RestructuringRefused,
    RestructuringSummary,
    plan_restructuring,
)
from nguon.org.restructure.run import RESTRUCTURE_ACTOR, restructure_file
from nguon.org.restructure.spec import (
    RestructuringFile,
    RestructuringFileError,
    load_restructuring,
)

__all__ = [
    "RESTRUCTURE_ACTOR",
    "RestructuringFile",
    "RestructuringFileError",
    "RestructuringPlan",
    "RestructuringRefused",
    "RestructuringReport",
    "RestructuringSummary",
    "apply_restructuring",
    "load_restructuring",
    "plan_restructuring",
    "restructure_file",
]
