"""Errors of the rules part."""

from __future__ import annotations


class RulesError(Exception):
    """Base of every error raised by nguon.rules."""


class PackageLoadError(RulesError):
    """A rules package was refused; each problem names its file and item."""

    def __init__(self, package: str, problems: list[str]) -> None:
        self.package = package
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"rules package {package!r} refused:\n{listing}")


class NoVersionInForce(RulesError):
    """No version of the package is in force on the date asked."""


class EngineError(RulesError):
    """The rules engine failed or an action raised; the batch's results are not used."""
