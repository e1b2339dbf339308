"""Discovery and control: built-ins, entry points, the allow-list, the hook API version,
pluggy's validation at start-up naming the plugin, and the timing trace."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from nguon import plugins
from nguon.hooks import hookimpl
from nguon.plugins import ALLOW_ENV, TRACE_ENV, PluginLoadError, new_plugin_manager


class FakeEntryPoint:
    def __init__(self, name: str, plugin: object) -> None:
        self.name = name
        self._plugin = plugin

    def load(self) -> object:
        return self._plugin


class GoodPlugin:
    NGUON_HOOK_API = "1.0"

    @hookimpl
    def register_routes(self) -> list:
        return ["good-route"]


class UnknownHookPlugin:
    NGUON_HOOK_API = "1.0"

    @hookimpl
    def register_route(self) -> list:  # a typo of register_routes
        return []


class BadSignaturePlugin:
    NGUON_HOOK_API = "1.0"

    @hookimpl
    def list_submitted(self, candidate_list, actor, when) -> None:
        pass


def _with(monkeypatch: pytest.MonkeyPatch, **named: object) -> None:
    points = [FakeEntryPoint(name, plugin) for name, plugin in named.items()]
    monkeypatch.setattr(plugins, "entry_points", lambda group: points)
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    monkeypatch.delenv(TRACE_ENV, raising=False)


def test_builtins_and_entry_point_plugins_load(monkeypatch):
    _with(monkeypatch, good=GoodPlugin())
    manager = new_plugin_manager()

    assert {"webhooks", "deadline_reminders", "good"} <= {n for n, _ in manager.list_name_plugin()}
    assert manager.hook.register_routes() == [["good-route"]]


def test_the_allow_list_leaves_out_entry_point_plugins_it_does_not_name(monkeypatch):
    _with(monkeypatch, good=GoodPlugin(), other=GoodPlugin())
    monkeypatch.setenv(ALLOW_ENV, "other")
    manager = new_plugin_manager()

    assert manager.get_plugin("good") is None
    assert manager.get_plugin("other") is not None
    assert manager.get_plugin("webhooks") is not None


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (None, "plugin 'acme': declare NGUON_HOOK_API"),
        ("one", "plugin 'acme': declare NGUON_HOOK_API"),
        ("2.0", "plugin 'acme' is written for hook API 2.0; this Nguồn offers hook API 1.2"),
        ("1.9", "plugin 'acme' is written for hook API 1.9; this Nguồn offers hook API 1.2"),
        ("0.3", "plugin 'acme' is written for hook API 0.3"),
    ],
)
def test_an_incompatible_hook_api_version_is_refused_naming_the_plugin(
    monkeypatch, declared, message
):
    plugin = SimpleNamespace() if declared is None else SimpleNamespace(NGUON_HOOK_API=declared)
    _with(monkeypatch, acme=plugin)

    with pytest.raises(PluginLoadError) as error:
        new_plugin_manager()
    assert message in str(error.value)


def test_an_older_minor_version_of_the_same_major_loads(monkeypatch):
    _with(monkeypatch, acme=GoodPlugin())  # declares 1.0, Nguồn offers 1.2
    assert new_plugin_manager().get_plugin("acme") is not None


def test_an_implementation_of_an_unknown_hook_stops_the_start_naming_the_plugin(monkeypatch):
    _with(monkeypatch, typo_plugin=UnknownHookPlugin())

    with pytest.raises(PluginLoadError) as error:
        new_plugin_manager()
    assert "plugin 'typo_plugin'" in str(error.value)
    assert "unknown hook 'register_route'" in str(error.value)


def test_an_implementation_with_a_bad_signature_stops_the_start_naming_the_plugin(monkeypatch):
    _with(monkeypatch, bad_args=BadSignaturePlugin())

    with pytest.raises(PluginLoadError) as error:
        new_plugin_manager()
    assert "plugin 'bad_args'" in str(error.value)
    assert "when" in str(error.value)


def test_tracing_logs_every_hook_call_with_its_timing(monkeypatch, caplog):
    _with(monkeypatch, good=GoodPlugin())
    monkeypatch.setenv(TRACE_ENV, "1")
    manager = new_plugin_manager()

    with caplog.at_level(logging.INFO, logger="nguon.hooks.trace"):
        manager.hook.register_routes()
        manager.hook.register_list_renderers()

    records = [r for r in caplog.records if r.name == "nguon.hooks.trace"]
    assert [r.hook for r in records] == ["register_routes", "register_list_renderers"]
    assert records[0].plugins == ["good"]
    assert all(isinstance(r.elapsed_ms, float) and r.elapsed_ms >= 0 for r in records)
    assert "hook register_routes took" in records[0].getMessage()


def test_without_the_tracing_setting_nothing_is_logged(monkeypatch, caplog):
    _with(monkeypatch, good=GoodPlugin())
    manager = new_plugin_manager()

    with caplog.at_level(logging.INFO, logger="nguon.hooks.trace"):
        manager.hook.register_routes()
    assert not [r for r in caplog.records if r.name == "nguon.hooks.trace"]
