"""Checks that keep the hook API a product: every hookspec documented and tested.

``undocumented_hooks`` wants, per hookspec, a one-line docstring and a section
``### `name` `` in ``docs/plugins.md`` showing the exact signature (``signature_of``).
``untested_hooks`` wants, per hookspec, an ``@hookimpl`` implementation of it in a test
file. Both take the hookspec module as an argument so a test can prove they fail.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

PROJECT = "nguon"


def hookspecs(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """The hookspec functions of ``module``, by name, in source order."""
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isfunction(value) and hasattr(value, f"{PROJECT}_spec")
    }


def signature_of(spec: Callable[..., Any]) -> str:
    """``def name(arg: type, …) -> type`` as written in the hookspec module."""
    parameters = []
    for parameter in inspect.signature(spec).parameters.values():
        annotation = parameter.annotation
        if annotation is inspect.Parameter.empty:
            parameters.append(parameter.name)
        else:
            parameters.append(f"{parameter.name}: {_text(annotation)}")
    returns = inspect.signature(spec).return_annotation
    tail = "" if returns is inspect.Signature.empty else f" -> {_text(returns)}"
    return f"def {spec.__name__}({', '.join(parameters)}){tail}"


def _text(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


def _section(doc: str, name: str) -> str | None:
    match = re.search(rf"^### `{re.escape(name)}`[^\n]*\n(.*?)(?=^### |^## |\Z)", doc, re.M | re.S)
    return match.group(1) if match else None


def undocumented_hooks(module: ModuleType, doc: str) -> list[str]:
    problems = []
    for name, spec in hookspecs(module).items():
        docstring = (spec.__doc__ or "").strip()
        if not docstring:
            problems.append(f"{name}: the hookspec has no docstring")
        elif "\n" in docstring:
            problems.append(f"{name}: the hookspec docstring is not one line")
        section = _section(doc, name)
        if section is None:
            problems.append(f"{name}: no section '### `{name}`' in the plugin guide")
        elif signature_of(spec) not in section:
            problems.append(f"{name}: the guide does not show the signature {signature_of(spec)}")
        elif "```python" not in section.split(signature_of(spec), 1)[1]:
            problems.append(f"{name}: the guide's section has no example after the signature")
    return problems


def _implemented(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"@hookimpl\b[^\n]*\n(?:[ \t]*@[^\n]*\n)*[ \t]*(?:async[ \t]+)?def[ \t]+{name}[ \t]*\("
    )


def untested_hooks(module: ModuleType, test_sources: Iterable[str]) -> list[str]:
    sources = list(test_sources)
    return [
        f"{name}: no test implements it with @hookimpl"
        for name in hookspecs(module)
        if not any(_implemented(name).search(source) for source in sources)
    ]


def find_test_files(root: Path) -> list[Path]:
    """The test modules of the platform and of every plugin under ``plugins/``."""
    return sorted([*root.glob("tests/**/test_*.py"), *root.glob("plugins/*/tests/**/test_*.py")])
