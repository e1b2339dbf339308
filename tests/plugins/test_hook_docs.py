"""The hook API as a product: every hookspec documented in the plugin guide and tested,
and the checks really fail when a hook is added without either."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pluggy

from nguon import hooks
from nguon.hook_docs import (
    find_test_files,
    hookspecs,
    signature_of,
    undocumented_hooks,
    untested_hooks,
)

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"


def _test_sources() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in find_test_files(ROOT)]


def test_every_hookspec_has_a_one_line_docstring_and_a_guide_section_with_its_signature():
    assert undocumented_hooks(hooks, GUIDE.read_text(encoding="utf-8")) == []


def test_every_hookspec_is_implemented_by_a_test():
    assert untested_hooks(hooks, _test_sources()) == []


def test_the_guide_states_the_hook_api_version():
    assert f"The hook API is **{hooks.HOOK_API_VERSION}**" in GUIDE.read_text(encoding="utf-8")


def _throwaway_module() -> ModuleType:
    """A hookspec module with the real hooks plus one new hook, as a developer would add it."""
    module = ModuleType("throwaway_hooks")
    module.__dict__.update(hookspecs(hooks))
    spec = pluggy.HookspecMarker("nguon")

    def extra_throwaway(tenant_id: int) -> list[str]:
        """Return strings for the throwaway hook."""

    module.extra_throwaway = spec(extra_throwaway)
    return module


def test_a_hook_added_without_documentation_fails_the_documentation_check():
    module = _throwaway_module()
    guide = GUIDE.read_text(encoding="utf-8")

    assert undocumented_hooks(module, guide) == [
        "extra_throwaway: no section '### `extra_throwaway`' in the plugin guide"
    ]

    section_without_signature = "\n### `extra_throwaway`\n\nFires never.\n"
    assert undocumented_hooks(module, guide + section_without_signature) == [
        "extra_throwaway: the guide does not show the signature "
        "def extra_throwaway(tenant_id: int) -> list[str]"
    ]

    documented = (
        "\n### `extra_throwaway`\n\n```text\n"
        f"{signature_of(module.extra_throwaway)}\n```\n\nFires never.\n\n"
        "```python\n@hookimpl\ndef extra_throwaway(tenant_id):\n    return []\n```\n"
    )
    assert undocumented_hooks(module, guide + documented) == []


def test_a_hook_without_a_docstring_fails_the_documentation_check():
    module = _throwaway_module()
    spec = pluggy.HookspecMarker("nguon")

    def extra_silent() -> None:
        pass

    module.extra_silent = spec(extra_silent)
    problems = undocumented_hooks(module, GUIDE.read_text(encoding="utf-8"))

    assert "extra_silent: the hookspec has no docstring" in problems


def test_a_hook_added_without_a_test_fails_the_test_check():
    module = _throwaway_module()
    sources = _test_sources()

    assert untested_hooks(module, sources) == [
        "extra_throwaway: no test implements it with @hookimpl"
    ]

    calling_is_not_implementing = "manager.hook.extra_throwaway(tenant_id=1)\n"
    assert untested_hooks(module, [*sources, calling_is_not_implementing]) != []

    implemented = "class P:\n    @hookimpl\n    async def extra_throwaway(self, tenant_id):\n"
    assert untested_hooks(module, [*sources, implemented]) == []
