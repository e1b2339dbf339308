"""The tenant administrator's JSON API for the tenant's plugins."""

from __future__ import annotations

from typing import ClassVar

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from nguon.accounts.permissions import Access
from nguon.db.transaction import atomic
from nguon.plugin_admin.service import (
    PluginSetting,
    PluginSettingIn,
    get_setting,
    list_settings,
    put_setting,
)


class PluginAdminController(Controller):
    path = "/admin/plugins"
    tags: ClassVar[list[str]] = ["plugins"]

    @get("/", summary="The per-tenant plugins installed, on or off here, secrets masked")
    async def list_plugins(self, access: NamedDependency[Access]) -> list[PluginSetting]:
        return await list_settings(access)

    @get("/{plugin_name:str}", summary="One plugin's switch and settings for this tenant")
    async def get_plugin(
        self, access: NamedDependency[Access], plugin_name: FromPath[str]
    ) -> PluginSetting:
        return await get_setting(access, plugin_name)

    @put("/{plugin_name:str}", summary="Switch a plugin on or off here and set its settings")
    async def put_plugin(
        self,
        access: NamedDependency[Access],
        plugin_name: FromPath[str],
        data: JSONBody[PluginSettingIn],
    ) -> PluginSetting:
        async with atomic():
            return await put_setting(access, plugin_name, data)
