"""Read and change which per-tenant plugins a tenant runs, and their settings.

Settings are decoded with the plugin's ``config_struct`` before they are stored, so a
bad setting is refused with its key path and nothing is written. Secrets are never
shown back: values under a key named like a secret read as ``MASK``; sending ``MASK``
back keeps the stored value.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import msgspec
from cryptography.fernet import InvalidToken

from nguon.accounts.permissions import WHOLE_TENANT, Access
from nguon.api.field_problems import from_message, problems_in
from nguon.api.problems import path_of_field
from nguon.audit.service import Actor, record_event
from nguon.crypto import seal_setting, sealed_under_current_key, unseal_setting
from nguon.errors import Forbidden, InvalidFields, InvalidInput, NotFound
from nguon.plugin_admin.tables import TenantPlugin
from nguon.plugins import (
    PluginConfigError,
    TenantPlugins,
    config_struct,
    decode_config,
    per_tenant_plugins,
    plugin_infos,
)
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant

MASK = "********"
SECRET_KEYS = frozenset({"secret", "token", "password", "api_key"})

logger = logging.getLogger("nguon.plugins")


class PluginSetting(msgspec.Struct, kw_only=True):
    name: str
    description: str
    hook_api: str
    enabled: bool
    config: dict[str, Any]


class PluginSettingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    enabled: bool
    config: dict[str, Any] = {}


def _stored_config(row: dict[str, Any]) -> dict[str, Any]:
    config = row["config"]
    return _secrets(
        json.loads(config) if isinstance(config, str) else dict(config or {}), unseal_setting
    )


def _secrets(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` with ``change`` applied to every string under a secret's key."""
    if isinstance(value, dict):
        return {
            k: change(v) if k in SECRET_KEYS and isinstance(v, str) and v else _secrets(v, change)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_secrets(v, change) for v in value]
    return value


def masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (MASK if k in SECRET_KEYS and v else masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def unmasked(new: Any, old: Any) -> Any:
    """``new`` with every ``MASK`` replaced by the stored value at the same key path."""
    if isinstance(new, dict):
        previous = old if isinstance(old, dict) else {}
        return {
            k: (previous.get(k) if v == MASK and k in SECRET_KEYS else unmasked(v, previous.get(k)))
            for k, v in new.items()
        }
    if isinstance(new, list):
        previous = old if isinstance(old, list) else []
        return [unmasked(v, previous[i] if i < len(previous) else None) for i, v in enumerate(new)]
    return new


async def load_tenant_plugins(tenant_id: int) -> TenantPlugins:
    """The per-tenant plugins switched on for ``tenant_id`` with their decoded settings."""
    with tenant_context(tenant_id):
        rows = await TenantPlugin.select(TenantPlugin.name, TenantPlugin.config).where(
            in_tenant(TenantPlugin), TenantPlugin.enabled.eq(True)
        )
    known = per_tenant_plugins()
    configs: dict[str, Any] = {}
    for row in rows:
        if row["name"] not in known:
            continue
        try:
            configs[row["name"]] = decode_config(row["name"], _stored_config(row), "$")
        except PluginConfigError as error:
            logger.warning("plugin %s stays off for tenant %s: %s", row["name"], tenant_id, error)
        except InvalidToken:
            # Its secrets were sealed with a key that is neither NGUON_SECRET_KEY nor
            # NGUON_SECRET_KEY_PREVIOUS: this tenant's plugin stays off; the others work.
            logger.error(
                "plugin %s stays off for tenant %s: its secrets do not open with the secret "
                "key (was NGUON_SECRET_KEY changed without `nguon secrets rotate`?)",
                row["name"],
                tenant_id,
            )
    return TenantPlugins(tenant_id=tenant_id, configs=configs)


def require_admin(access: Access) -> None:
    if not access.can(WHOLE_TENANT, "tenant_admin"):
        raise Forbidden(
            "Chỉ quản trị viên của tỉnh được cấu hình plugin. / "
            "Only a tenant administrator may configure plugins."
        )


async def _rows() -> dict[str, dict[str, Any]]:
    rows = await TenantPlugin.select().where(in_tenant(TenantPlugin))
    return {row["name"]: row for row in rows}


async def list_settings(access: Access) -> list[PluginSetting]:
    """Every per-tenant plugin installed, on or off for this tenant, secrets masked."""
    require_admin(access)
    rows = await _rows()
    settings = []
    for info in plugin_infos():
        if not info.per_tenant:
            continue
        row = rows.get(info.name)
        settings.append(
            PluginSetting(
                name=info.name,
                description=info.description,
                hook_api=info.hook_api,
                enabled=bool(row and row["enabled"]),
                config=masked(_stored_config(row)) if row else {},
            )
        )
    return settings


async def get_setting(access: Access, name: str) -> PluginSetting:
    for setting in await list_settings(access):
        if setting.name == name:
            return setting
    raise NotFound(f"plugin {name}")


async def put_setting(access: Access, name: str, data: PluginSettingIn) -> PluginSetting:
    """Switch a plugin on or off for the tenant and store its settings (audited)."""
    require_admin(access)
    if name not in per_tenant_plugins():
        raise NotFound(f"plugin {name}")
    row = (await _rows()).get(name)
    before = {"enabled": row["enabled"], "config": _stored_config(row)} if row else None
    config = unmasked(data.config, before["config"] if before else {})
    try:
        decoded = decode_config(name, config, "$.config")
    except PluginConfigError as error:
        raise _settings_refused(name, config, error.problems[0]) from None
    stored = msgspec.to_builtins(decoded) if decoded is not None else {}
    await save_setting(access.tenant_id, name, data.enabled, stored, row)
    await record_event(
        Actor(label=f"user:{access.username}", user_id=access.user_id),
        "update" if row else "create",
        "tenant_plugin",
        None,
        before={"name": name, **masked(before)} if before else None,
        after={"name": name, "enabled": data.enabled, "config": masked(stored)},
    )
    return await get_setting(access, name)


def _setting_refused(problem: str) -> InvalidInput:
    """``$.config.endpoints[0].url: why`` as a 400 naming ``config.endpoints[0].url``."""
    path, _, text = problem.partition(": ")
    field = path.removeprefix("$.").removeprefix("$") or "config"
    if " / " in text:  # the settings' own check, already in both languages
        return InvalidInput(text, field=field)
    if text == "unknown field":
        text = f"Object contains unknown field `{field.rpartition('.')[2]}`"
        field = field.rpartition(".")[0]
    found = from_message(text, path_of_field(field), None)
    return InvalidInput(
        f"{found.detail} / {found.detail_en}", field=found.field, field_code=found.code
    )


_FIELD_CHECK = re.compile(r"`(?P<path>[^`]+)`: (?P<field>[a-z_]+): (?P<text>.+)", re.DOTALL)


def _settings_refused(name: str, config: Any, first: str) -> InvalidInput:
    """Every problem of the settings at once (the decoder stops at the first)."""
    struct = config_struct(per_tenant_plugins()[name])
    found = problems_in(config, struct, ["config"]) if struct and isinstance(config, dict) else []
    problems: list[tuple[str, str, str, str]] = []
    for each in found:
        field, code, vi, en = each.field, each.code, each.detail, each.detail_en
        checked = _FIELD_CHECK.fullmatch(vi)  # a struct's own check names its field first
        if checked:
            field = f"{checked.group('path')}.{checked.group('field')}"
            said_vi, _, said_en = checked.group("text").partition(" / ")
            if not said_en and en != vi:  # the English half, which the problem keeps apart
                said_en = en.removeprefix(f"`{checked.group('path')}`: ")
            vi, en, code = f"`{field}`: {said_vi}", f"`{field}`: {said_en or said_vi}", "rule"
        problems.append((field, code, vi, en or vi))
    if not problems:
        return _setting_refused(first)
    return InvalidFields(problems)


async def save_setting(
    tenant_id: int,
    name: str,
    enabled: bool,
    config: dict[str, Any],
    existing: dict[str, Any] | None = None,
) -> None:
    """Insert or update the tenant's row for ``name`` (settings already validated)."""
    if existing is None:
        existing = (
            await TenantPlugin.select(TenantPlugin.id)
            .where(in_tenant(TenantPlugin), TenantPlugin.name == name)
            .first()
        )
    config = _secrets(config, seal_setting)
    if existing is None:
        await TenantPlugin.insert(
            TenantPlugin(tenant_id=tenant_id, name=name, enabled=enabled, config=config)
        ).run()
        return
    await TenantPlugin.update(
        {
            TenantPlugin.enabled: enabled,
            TenantPlugin.config: config,
            TenantPlugin.updated_at: dt.datetime.now(dt.UTC),
        }
    ).where(in_tenant(TenantPlugin), TenantPlugin.id == existing["id"])


async def apply_setting(tenant_id: int, name: str, enabled: bool, config: dict[str, Any]) -> bool:
    """Store a validated setting unless it is already stored as is; whether it changed."""
    row = (
        await TenantPlugin.select()
        .where(in_tenant(TenantPlugin), TenantPlugin.name == name)
        .first()
    )
    if row is not None and row["enabled"] == enabled and _stored_config(row) == config:
        return False
    await save_setting(tenant_id, name, enabled, config, row)
    return True


def resealed(config: Any) -> tuple[Any, bool]:
    """``config`` with every secret sealed under the current key; whether any changed
    (``nguon secrets rotate``)."""
    changed = False

    def reseal(value: str) -> str:
        nonlocal changed
        if sealed_under_current_key(value):
            return value
        changed = True
        return seal_setting(unseal_setting(value))

    parsed = json.loads(config) if isinstance(config, str) else dict(config or {})
    return _secrets(parsed, reseal), changed
