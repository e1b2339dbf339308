"""Per-tenant plugins: switched on and configured per province, refused bad settings with
their key path, and never run for a tenant that has them off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

import msgspec
import pytest

from nguon.audit.service import Actor
from nguon.audit.tables import AuditEvent
from nguon.hook_events import ListSummary
from nguon.hooks import HomeNotice, hookimpl
from nguon.pipeline.events import ListEvent, dispatch
from nguon.plugin_admin.notices import home_notices
from nguon.plugin_admin.service import save_setting
from nguon.plugins import get_plugin_manager, plugin_config
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import ManifestError, parse_manifest
from tests.conftest import Database
from tests.http.conftest import AppClient, World, build_world, candidate_body, token_for

NAME = "test_tenant_greeter"


class GreeterConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    greeting: Annotated[str, msgspec.Meta(min_length=1)]
    repeat: Annotated[int, msgspec.Meta(ge=1, le=3)] = 1


class TenantGreeter:
    """Greets on the home page and records list events, per tenant."""

    NGUON_HOOK_API = "1.2"
    NGUON_PER_TENANT = True
    config_struct = GreeterConfig

    def __init__(self) -> None:
        self.submitted: list[tuple[int, str]] = []
        self.stage_changes: list[tuple[int, str, str]] = []

    @hookimpl
    def list_submitted(self, candidate_list, actor) -> None:
        self.submitted.append((candidate_list.tenant_id, plugin_config(NAME).greeting))

    @hookimpl
    async def candidate_stage_changed(self, change, actor) -> None:
        self.stage_changes.append((change.tenant_id, change.to_stage, plugin_config(NAME).greeting))

    @hookimpl
    async def extra_home_notices(self, tenant_id, unit_ids, today) -> list[HomeNotice]:
        config: GreeterConfig = plugin_config(NAME)
        return [HomeNotice(text=f"{config.greeting} ({len(unit_ids)})")] * config.repeat


@pytest.fixture
def greeter() -> Iterator[TenantGreeter]:
    plugin = TenantGreeter()
    get_plugin_manager().register(plugin, name=NAME)
    yield plugin
    get_plugin_manager().unregister(name=NAME)


async def _switch(db: Database, world: World, enabled: bool, config: dict) -> None:
    with tenant_context(world.tenant_id):
        await save_setting(world.tenant_id, NAME, enabled, config)


def _event(world: World) -> ListEvent:
    summary = ListSummary(
        id=1,
        tenant_id=world.tenant_id,
        unit_id=world.units["cell_x"],
        step="survey",
        period="2025-annual",
        state="submitted",
        version=2,
        receiver_unit_id=world.units["commune_1"],
    )
    return ListEvent(kind="submitted", candidate_list=summary, actor=Actor(label="test"))


async def test_two_tenants_with_different_settings_behave_differently_in_one_process(
    db: Database, greeter: TenantGreeter
) -> None:
    on, other, off = [await build_world(db, prefix) for prefix in ("ga", "gb", "gc")]
    await _switch(db, on, True, {"greeting": "Chào Hưng Yên", "repeat": 2})
    await _switch(db, other, True, {"greeting": "Chào Thái Bình"})
    await _switch(db, off, False, {"greeting": "không bao giờ"})
    today = dt.date(2025, 6, 25)

    for world in (on, other, off):
        with tenant_context(world.tenant_id):
            await dispatch(_event(world))

    assert greeter.submitted == [
        (on.tenant_id, "Chào Hưng Yên"),
        (other.tenant_id, "Chào Thái Bình"),
    ]
    with tenant_context(on.tenant_id):
        assert [n.text for n in await home_notices(on.tenant_id, [1, 2], today)] == [
            "Chào Hưng Yên (2)",
            "Chào Hưng Yên (2)",
        ]
    with tenant_context(other.tenant_id):
        assert [n.text for n in await home_notices(other.tenant_id, [1], today)] == [
            "Chào Thái Bình (1)"
        ]
    with tenant_context(off.tenant_id):
        assert await home_notices(off.tenant_id, [1], today) == []


async def test_the_admin_api_switches_a_plugin_and_refuses_bad_settings_with_their_key_path(
    db: Database, client: AppClient, greeter: TenantGreeter
) -> None:
    world = await build_world(db, "gapi")
    admin = await token_for(client, world.slug, "admin")
    url = f"/t/{world.slug}/api/v1/admin/plugins"

    listed = (await client.get(url, headers=admin)).json()
    assert {p["name"]: p["enabled"] for p in listed}[NAME] is False
    assert {"webhooks", "deadline_reminders"} <= {p["name"] for p in listed}

    bad = await client.put(
        f"{url}/{NAME}", headers=admin, json={"enabled": True, "config": {"repeat": 2}}
    )
    assert bad.status_code == 400
    (missing,) = bad.json()["errors"]
    assert (missing["pointer"], missing["code"]) == ("/config/greeting", "required")
    assert missing["detail_en"] == "`config.greeting` is required."
    bad = await client.put(
        f"{url}/{NAME}",
        headers=admin,
        json={"enabled": True, "config": {"greeting": "Chào", "repeat": 9}},
    )
    assert bad.status_code == 400
    (repeat,) = bad.json()["errors"]
    assert (repeat["pointer"], repeat["code"]) == ("/config/repeat", "out_of_range")
    assert repeat["detail"] == "`config.repeat` phải nhỏ hơn hoặc bằng 3."
    bad = await client.put(
        f"{url}/{NAME}", headers=admin, json={"enabled": True, "config": {"greting": "Chào"}}
    )
    found = {e["pointer"]: e for e in bad.json()["errors"]}
    assert {p: e["code"] for p, e in found.items()} == {
        "/config/greeting": "required",
        "/config/greting": "unknown_field",
    }, "every problem at once"
    assert (
        found["/config/greting"]["detail_en"] == "There is no field `config.greting` (misspelt?)."
    )
    with tenant_context(world.tenant_id):
        assert await home_notices(world.tenant_id, [1], dt.date(2025, 1, 1)) == []

    good = await client.put(
        f"{url}/{NAME}", headers=admin, json={"enabled": True, "config": {"greeting": "Chào"}}
    )
    assert good.status_code == 200, good.text
    assert good.json()["config"] == {"greeting": "Chào", "repeat": 1}
    with tenant_context(world.tenant_id):
        notices = await home_notices(world.tenant_id, [1], dt.date(2025, 1, 1))
        audit = await AuditEvent.select().where(
            AuditEvent.tenant_id == world.tenant_id, AuditEvent.entity_type == "tenant_plugin"
        )
    assert [n.text for n in notices] == ["Chào (1)"]
    assert [(a["action"], a["actor"]) for a in audit] == [("create", "user:admin")]

    editor = await token_for(client, world.slug, "district_1_editor")
    refused = await client.put(
        f"{url}/{NAME}", headers=editor, json={"enabled": False, "config": {"greeting": "x"}}
    )
    assert refused.status_code == 403
    assert (await client.get(url, headers=editor)).status_code == 403
    assert (await client.get(f"{url}/no_such_plugin", headers=admin)).status_code == 404

    neighbour = await build_world(db, "gapi-b")
    theirs = await token_for(client, neighbour.slug, "admin")
    seen = await client.get(f"/t/{neighbour.slug}/api/v1/admin/plugins/{NAME}", headers=theirs)
    assert seen.json()["enabled"] is False
    assert seen.json()["config"] == {}
    assert (await client.get(f"{url}/{NAME}", headers=theirs)).status_code == 401


async def test_secrets_are_masked_and_a_masked_secret_sent_back_keeps_the_stored_one(
    db: Database, client: AppClient
) -> None:
    world = await build_world(db, "gsec")
    admin = await token_for(client, world.slug, "admin")
    url = f"/t/{world.slug}/api/v1/admin/plugins/webhooks"
    config = {"endpoints": [{"url": "https://hooks.example.org/nguon", "secret": "s" * 20}]}
    assert (
        await client.put(url, headers=admin, json={"enabled": True, "config": config})
    ).status_code == 200

    shown = (await client.get(url, headers=admin)).json()
    assert shown["config"]["endpoints"][0]["secret"] == "********"
    shown["config"]["max_attempts"] = 3
    again = await client.put(url, headers=admin, json={"enabled": True, "config": shown["config"]})
    assert again.status_code == 200, again.text
    from nguon.plugin_admin.service import load_tenant_plugins

    stored = (await load_tenant_plugins(world.tenant_id)).configs["webhooks"]
    assert stored.endpoints[0].secret == "s" * 20
    assert stored.max_attempts == 3


MANIFEST = """
slug = "{slug}"
name = "Tỉnh thử"
rules_package = "hungyen"

[admin]
username = "admin"
full_name = "Quản trị"
generate_password = true

[[units]]
code = "TU"
name = "Tỉnh ủy"
kind = "province_committee"
valid_from = 2020-01-01

{plugins}
"""


def test_the_manifest_refuses_bad_plugin_settings_with_their_key_path() -> None:
    plugins = """
[plugins.webhooks]
max_attempts = 3
[[plugins.webhooks.endpoints]]
url = "ftp://example.org/x"
secret = "short"

[plugins.deadline_reminders]
enabled = "yes"

[plugins.no_such_plugin]
enabled = true
"""
    with pytest.raises(ManifestError) as error:
        parse_manifest(MANIFEST.format(slug="tinh-thu", plugins=plugins))
    problems = "\n".join(error.value.problems)
    assert "$.plugins.webhooks.endpoints[0].url: Expected `str` matching regex" in problems
    assert "$.plugins.deadline_reminders.enabled: expected true or false" in problems
    assert "$.plugins.no_such_plugin: unknown plugin 'no_such_plugin'" in problems


def test_the_manifest_reads_plugin_settings() -> None:
    plugins = """
[plugins.deadline_reminders]
days_before = 10

[plugins.webhooks]
enabled = false
"""
    manifest = parse_manifest(MANIFEST.format(slug="tinh-thu", plugins=plugins))
    assert manifest.plugins["deadline_reminders"].enabled is True
    assert manifest.plugins["deadline_reminders"].config == {
        "days_before": 10,
        "remind_late": True,
    }
    assert manifest.plugins["webhooks"].enabled is False


async def test_secrets_in_plugin_settings_are_encrypted_at_rest(db: Database) -> None:
    from nguon.plugin_admin.service import load_tenant_plugins, save_setting
    from nguon.plugin_admin.tables import TenantPlugin
    from nguon.tenancy.context import tenant_context
    from tests.http.conftest import build_world

    world = await build_world(db, "sealed-secrets")
    secret = "khoa-ky-webhook-rat-bi-mat-2026"
    config = {"endpoints": [{"url": "https://hooks.example.org/nguon", "secret": secret}]}
    with tenant_context(world.tenant_id):
        await save_setting(world.tenant_id, "webhooks", True, config)
        stored = await TenantPlugin.select(TenantPlugin.config).where(
            TenantPlugin.tenant_id == world.tenant_id
        )
    assert secret not in str(stored)
    plugins = await load_tenant_plugins(world.tenant_id)
    assert plugins.configs["webhooks"].endpoints[0].secret == secret


async def test_stage_changes_reach_only_the_tenants_that_switched_the_plugin_on(
    db: Database, client: AppClient, greeter: TenantGreeter
) -> None:
    on, off = await build_world(db, "gs-on"), await build_world(db, "gs-off")
    await _switch(db, on, True, {"greeting": "Chào"})
    for world in (on, off):
        admin = await token_for(client, world.slug, "admin")
        base = f"/t/{world.slug}/api/v1"
        created = await client.post(
            f"{base}/candidates", json=candidate_body(world.units["cell_x"]), headers=admin
        )
        decided = await client.post(
            f"{base}/candidates/{created.json()['id']}/stage",
            json={"version": 1, "to_stage": "removed", "reason": "Không còn đủ tiêu chuẩn"},
            headers=admin,
        )
        assert decided.status_code == 200, decided.text
    assert greeter.stage_changes == [(on.tenant_id, "removed", "Chào")]
