"""Find rules packages and load them.

A package is registered by the ``nguon.rules`` entry point, by a plugin's
``register_rules_packages`` hook, or by being a folder with a ``manifest.toml`` in the
bundled ``rules/`` folder or in a folder of ``NGUON_RULES_PATH`` (folders separated like
``PATH``): a package made by ``nguon rules new`` there is usable by its id at once.
"""

from __future__ import annotations

import os
import threading
from importlib.metadata import entry_points
from pathlib import Path

from nguon.rules.errors import RulesError
from nguon.rules.loader import load_folder
from nguon.rules.package import RulesPackage

ENTRY_POINT_GROUP = "nguon.rules"

_cache: dict[Path, RulesPackage] = {}
_by_id: dict[str, RulesPackage] = {}
"""Packages loaded by registered id: finding entry points costs ~10 ms, a request none."""
_lock = threading.RLock()


def _as_folder(value: object) -> Path | RulesPackage:
    if callable(value) and not isinstance(value, Path):
        value = value()
    if isinstance(value, RulesPackage):
        return value
    if isinstance(value, str | Path):
        return Path(value)
    raise RulesError(f"a registered rules package must be a folder path, got {value!r}")


RULES_PATH_VARIABLE = "NGUON_RULES_PATH"


def package_folders() -> dict[str, Path]:
    """Package folders found in the bundled rules folder and in ``NGUON_RULES_PATH``, by
    folder name (the first folder of a name wins)."""
    from nguon.rules.bundled import RULES_ROOT

    roots = [Path(p) for p in os.environ.get(RULES_PATH_VARIABLE, "").split(os.pathsep) if p]
    found: dict[str, Path] = {}
    for root in [*roots, RULES_ROOT]:
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if (folder / "manifest.toml").is_file():
                found.setdefault(folder.name, folder)
    return found


def registered_packages() -> dict[str, Path | RulesPackage]:
    """Every registered package id with its folder (or loaded package)."""
    found: dict[str, Path | RulesPackage] = dict(package_folders())
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        found[entry_point.name] = _as_folder(entry_point.load())
    from nguon.plugins import get_plugin_manager

    for registered in get_plugin_manager().hook.register_rules_packages():
        for item in registered or []:
            value = _as_folder(item)
            if isinstance(value, RulesPackage):
                found[value.id] = value
            else:
                found[value.name] = value
    return found


def available_packages() -> list[str]:
    return sorted(registered_packages())


def _resolve_base(base_id: str, beside: Path) -> RulesPackage:
    sibling = beside.parent / base_id
    registered = registered_packages()
    if base_id in registered:
        return load_package(base_id)
    if (sibling / "manifest.toml").exists():
        return load_package(sibling)
    raise RulesError(f"{beside}: extends '{base_id}', which is neither registered nor a sibling")


def load_package(id_or_path: str | Path) -> RulesPackage:
    """Load a package by registered id or by folder path; loaded packages are cached."""
    if isinstance(id_or_path, str) and (known := _by_id.get(id_or_path)) is not None:
        return known
    with _lock:
        target: Path | RulesPackage
        if isinstance(id_or_path, Path) or "/" in str(id_or_path) or Path(id_or_path).is_dir():
            target = Path(id_or_path)
            registered_id = None
        else:
            registered = registered_packages()
            if id_or_path not in registered:
                raise RulesError(
                    f"no rules package '{id_or_path}' (registered: {sorted(registered)}):"
                    " name a draft by its folder (drafts/thaibinh), or add the folder that"
                    " holds it to NGUON_RULES_PATH"
                )
            target = registered[id_or_path]
            registered_id = id_or_path
        if isinstance(target, RulesPackage):
            package = target
        else:
            folder = target.resolve()
            if folder not in _cache:
                _cache[folder] = load_folder(folder, _resolve_base)
            package = _cache[folder]
        if registered_id is not None:
            _by_id[registered_id] = package
        return package


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _by_id.clear()
