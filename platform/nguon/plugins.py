"""The plugin manager: built-in hookspecs plus plugins from the ``nguon`` entry point."""

from __future__ import annotations

import os
from functools import lru_cache

import pluggy

from nguon import hooks

ENTRY_POINT_GROUP = "nguon"
ALLOW_ENV = "NGUON_PLUGINS"  # comma-separated plugin names; unset: all installed
TRACE_ENV = "NGUON_TRACE_HOOKS"


def new_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager with every hookspec and the allowed entry-point plugins."""
    manager = pluggy.PluginManager("nguon")
    manager.add_hookspecs(hooks)
    allowed = os.environ.get(ALLOW_ENV)
    if allowed is None:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    else:
        for name in filter(None, (n.strip() for n in allowed.split(","))):
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
    manager.check_pending()
    if os.environ.get(TRACE_ENV):
        manager.trace.root.setwriter(print)
        manager.enable_tracing()
    return manager


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager."""
    return new_plugin_manager()
