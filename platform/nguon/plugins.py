"""The plugin manager: built-in plugins, plugins from the ``nguon`` entry point, and the
per-tenant dispatch of tenant hooks.

A plugin (a module or an object) declares ``NGUON_HOOK_API = "1.x"``; loading refuses a
plugin without it or written for another major version, naming the plugin. A plugin that
declares ``NGUON_PER_TENANT = True`` is off for every tenant until the tenant switches it
on; it may declare ``config_struct`` (a msgspec Struct) for its per-tenant settings.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

import msgspec
import pluggy

from nguon import hooks

ENTRY_POINT_GROUP = "nguon"
ALLOW_ENV = "NGUON_PLUGINS"  # comma-separated entry-point plugin names; unset: all installed
TRACE_ENV = "NGUON_TRACE_HOOKS"  # any non-empty value: log every hook call with its timing
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("webhooks", "nguon.plugins_builtin.webhooks.plugin"),
    ("deadline_reminders", "nguon.plugins_builtin.reminders.plugin"),
)
_VERSION = re.compile(r"^(\d+)\.(\d+)$")

logger = logging.getLogger("nguon.plugins")
trace_logger = logging.getLogger("nguon.hooks.trace")


class PluginLoadError(Exception):
    """A plugin cannot be loaded; the message names the plugin."""


class PluginConfigError(Exception):
    """A plugin's per-tenant settings are refused; ``problems`` carry key paths."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PluginInfo(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    description: str
    hook_api: str
    per_tenant: bool
    has_config: bool


def _parse_version(text: str) -> tuple[int, int] | None:
    match = _VERSION.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_hook_api(name: str, plugin: object) -> None:
    """Refuse a plugin that does not declare a hook API version this Nguồn offers."""
    declared = getattr(plugin, "NGUON_HOOK_API", None)
    offered = _parse_version(hooks.HOOK_API_VERSION)
    assert offered is not None
    if not isinstance(declared, str) or _parse_version(declared) is None:
        raise PluginLoadError(
            f'plugin {name!r}: declare NGUON_HOOK_API = "major.minor" '
            f"(this Nguồn offers hook API {hooks.HOOK_API_VERSION}), found {declared!r}"
        )
    wanted = _parse_version(declared)
    assert wanted is not None
    if wanted[0] != offered[0] or wanted[1] > offered[1]:
        raise PluginLoadError(
            f"plugin {name!r} is written for hook API {declared}; "
            f"this Nguồn offers hook API {hooks.HOOK_API_VERSION}"
        )


def load_plugin(manager: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Check the plugin's hook API version and register it, validating its signatures."""
    check_hook_api(name, plugin)
    try:
        manager.register(plugin, name=name)
    except ValueError as error:
        raise PluginLoadError(f"plugin {name!r}: {error}") from error
    except pluggy.PluginValidationError as error:
        raise PluginLoadError(f"plugin {name!r}: {error}") from error


def allow_list() -> set[str] | None:
    allowed = os.environ.get(ALLOW_ENV)
    if allowed is None:
        return None
    return {name.strip() for name in allowed.split(",") if name.strip()}


def check_pending(manager: pluggy.PluginManager) -> None:
    """pluggy's check for implementations of unknown hooks, naming the plugin."""
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        name = manager.get_name(error.plugin) or repr(error.plugin)
        raise PluginLoadError(f"plugin {name!r}: {error}") from error


def new_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager: every hookspec, the built-ins, and the allowed entry-point plugins."""
    manager = pluggy.PluginManager("nguon")
    manager.add_hookspecs(hooks)
    for name, module in BUILTIN_PLUGINS:
        load_plugin(manager, importlib.import_module(module), name)
    allowed = allow_list()
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and point.name not in allowed:
            continue
        if manager.has_plugin(point.name):
            continue
        try:
            plugin = point.load()
        except Exception as error:
            raise PluginLoadError(f"plugin {point.name!r} cannot be imported: {error}") from error
        load_plugin(manager, plugin, point.name)
    check_pending(manager)
    if os.environ.get(TRACE_ENV):
        enable_timing_trace(manager)
    return manager


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager."""
    return new_plugin_manager()


def enable_timing_trace(manager: pluggy.PluginManager) -> Any:
    """Log every hook call (``nguon.hooks.trace``) with its plugins and duration.

    Returns the function that switches the tracing off again.
    """
    local = threading.local()

    def before(hook_name: str, impls: list[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        stack = getattr(local, "stack", None)
        if stack is None:
            stack = local.stack = []
        stack.append(time.perf_counter())

    def after(
        outcome: Any, hook_name: str, impls: list[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        elapsed_ms = (time.perf_counter() - local.stack.pop()) * 1000
        failed = outcome.exception is not None
        trace_logger.info(
            "hook %s took %.3f ms over %d plugin(s)%s",
            hook_name,
            elapsed_ms,
            len(impls),
            " and failed" if failed else "",
            extra={
                "hook": hook_name,
                "plugins": [impl.plugin_name for impl in impls],
                "elapsed_ms": round(elapsed_ms, 3),
                "failed": failed,
            },
        )

    return manager.add_hookcall_monitoring(before, after)


# --- what a plugin declares -----------------------------------------------------------


def _plugin(name: str, manager: pluggy.PluginManager | None = None) -> object:
    plugin = (manager or get_plugin_manager()).get_plugin(name)
    if plugin is None:
        raise KeyError(name)
    return plugin


def is_per_tenant(plugin: object) -> bool:
    return bool(getattr(plugin, "NGUON_PER_TENANT", False))


def config_struct(plugin: object) -> type[msgspec.Struct] | None:
    return getattr(plugin, "config_struct", None)


def plugin_infos(manager: pluggy.PluginManager | None = None) -> list[PluginInfo]:
    manager = manager or get_plugin_manager()
    infos = []
    for name, plugin in sorted(manager.list_name_plugin(), key=lambda pair: pair[0]):
        doc = inspect.getdoc(plugin) or ""
        infos.append(
            PluginInfo(
                name=name,
                description=" ".join(doc.split("\n\n")[0].split()),
                hook_api=str(getattr(plugin, "NGUON_HOOK_API", "")),
                per_tenant=is_per_tenant(plugin),
                has_config=config_struct(plugin) is not None,
            )
        )
    return infos


def per_tenant_plugins(manager: pluggy.PluginManager | None = None) -> dict[str, object]:
    manager = manager or get_plugin_manager()
    return {name: plugin for name, plugin in manager.list_name_plugin() if is_per_tenant(plugin)}


def _problem(error: msgspec.ValidationError, prefix: str) -> str:
    message = str(error)
    path = prefix
    if " - at `$" in message:
        message, _, rest = message.rpartition(" - at `$")
        path = prefix + rest.rstrip("`")
    unknown = re.fullmatch(r"Object contains unknown field `(.+)`", message)
    if unknown:
        return f"{path}.{unknown.group(1)}: unknown field"
    # A struct's own check (``__post_init__``) names its field as ``name: message``.
    named = re.fullmatch(r"(?P<field>[a-z_]+): (?P<message>.+)", message, re.DOTALL)
    if named:
        return f"{path}.{named.group('field')}: {named.group('message')}"
    return f"{path}: {message}"


def decode_config(
    name: str, raw: Any, prefix: str, manager: pluggy.PluginManager | None = None
) -> msgspec.Struct | None:
    """The plugin's settings decoded with its ``config_struct``; errors name the key path."""
    try:
        plugin = _plugin(name, manager)
    except KeyError:
        raise PluginConfigError([f"{prefix}: unknown plugin {name!r}"]) from None
    if not is_per_tenant(plugin):
        raise PluginConfigError([f"{prefix}: plugin {name!r} is not switched per tenant"])
    struct = config_struct(plugin)
    if struct is None:
        if raw:
            raise PluginConfigError([f"{prefix}: plugin {name!r} takes no settings"])
        return None
    try:
        return msgspec.convert(raw if raw is not None else {}, struct)
    except msgspec.ValidationError as error:
        raise PluginConfigError([_problem(error, prefix)]) from None


# --- per-tenant dispatch --------------------------------------------------------------


class TenantPlugins(msgspec.Struct, kw_only=True, frozen=True):
    """The per-tenant plugins switched on for one tenant, with their decoded settings."""

    tenant_id: int
    configs: dict[str, Any] = {}

    def enabled(self, name: str) -> bool:
        return name in self.configs


_active: ContextVar[TenantPlugins | None] = ContextVar("nguon_tenant_plugins", default=None)


def plugin_config(name: str) -> Any:
    """The settings of plugin ``name`` for the tenant whose hook is being called."""
    active = _active.get()
    if active is None or name not in active.configs:
        raise LookupError(f"plugin {name!r} is not running for a tenant here")
    return active.configs[name]


@contextmanager
def running_for(plugins: TenantPlugins) -> Iterator[None]:
    token = _active.set(plugins)
    try:
        yield
    finally:
        _active.reset(token)


async def call_tenant_hook(plugins: TenantPlugins, name: str, **kwargs: Any) -> list[Any]:
    """Call a tenant hook on the always-on plugins and the per-tenant plugins enabled for
    ``plugins.tenant_id``; awaitable results are awaited, a failing one is logged."""
    if name not in hooks.TENANT_HOOKS:
        raise ValueError(f"{name!r} is not a tenant hook")
    manager = get_plugin_manager()
    switched_off = [
        plugin
        for plugin_name, plugin in per_tenant_plugins(manager).items()
        if not plugins.enabled(plugin_name)
    ]
    caller = manager.subset_hook_caller(name, remove_plugins=switched_off)
    results: list[Any] = []
    with running_for(plugins):
        for result in caller(**kwargs):
            if inspect.isawaitable(result):
                try:
                    result = await result
                except Exception:
                    logger.exception("hook %s failed for tenant %s", name, plugins.tenant_id)
                    continue
            if result is not None:
                results.append(result)
    return results
