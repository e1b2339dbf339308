"""Each rules hook, exercised through a registered plugin."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nguon import hooks
from nguon.hooks import hookimpl
from nguon.plugins import get_plugin_manager, new_plugin_manager
from nguon.rules.registry import available_packages, clear_cache, load_package
from nguon.rules.service import evaluate_sync

FIXTURES = Path(__file__).parent / "fixtures"


class Plugin:
    def __init__(self) -> None:
        self.observed: list = []

    @hookimpl
    def register_rules_packages(self):
        return [FIXTURES / "good"]

    @hookimpl
    def prepare_facts(self, facts, unit, on):
        facts["political_standard"] = "failed"

    @hookimpl
    def observe_decisions(self, decisions):
        self.observed.extend(decisions)


@pytest.fixture
def plugin():
    manager = get_plugin_manager()
    plugin = Plugin()
    manager.register(plugin)
    clear_cache()
    yield plugin
    manager.unregister(plugin)
    clear_cache()


def test_rules_hookspecs_are_documented():
    for name in ("register_rules_packages", "prepare_facts", "observe_decisions"):
        spec = getattr(hooks, name)
        assert spec.__doc__ and "\n" not in spec.__doc__.strip()


def test_plugin_manager_checks_pending():
    manager = new_plugin_manager()
    assert manager.hook.register_rules_packages is not None


def test_register_rules_packages(plugin):
    assert "good" in available_packages()
    assert load_package("good").id == "fixture_good"


def test_prepare_facts_and_observe_decisions(plugin, cell, good_candidate):
    result = evaluate_sync("hungyen", [good_candidate], cell, date(2025, 5, 15), ["survey_list"])[0]
    assert result.decisions["survey_list"].outcome == "not_eligible"
    assert plugin.observed == [result]
