"""The ids of the migrations this release brings, in order (what ``migration.name`` holds)."""

from __future__ import annotations

import importlib
import pkgutil

from nguon.db import migrations


def migration_ids() -> list[str]:
    ids = []
    for module in pkgutil.iter_modules(migrations.__path__):
        if module.name.startswith("m"):
            ids.append(str(importlib.import_module(f"{migrations.__name__}.{module.name}").ID))
    return sorted(ids)
