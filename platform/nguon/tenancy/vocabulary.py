"""The words a tenant's hierarchy may use, read from its rules package for a date.

Unit kinds, blocs and which kind may sit under which are the package's structure
(``structure.toml``: ``[[unit_kind]]``, ``[[bloc]]``, ``[[placement]]``), each dated by the
package's versions. The platform holds no province's vocabulary: a unit is checked
against the structure version in force on the day it starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from nguon.rules.errors import RulesError
from nguon.rules.package import RulesPackage
from nguon.rules.registry import load_package

MEMBERSHIP_ROLES: Mapping[str, str] = MappingProxyType(
    {
        "viewer": "Xem",
        "editor": "Cập nhật",
        "approver": "Phê duyệt",
        "unit_admin": "Quản trị đơn vị",
        "tenant_admin": "Quản trị tỉnh",
    }
)


class UnitVocabulary(Protocol):
    """What onboarding, imports and restructurings check a hierarchy against."""

    @property
    def kinds(self) -> Mapping[str, str]: ...

    @property
    def blocs(self) -> Mapping[str, str]: ...

    def kind_problem(self, kind: str, on: dt.date) -> str | None:
        """Why a unit of ``kind`` cannot start on ``on``; None when it can."""
        ...

    def parent_problem(
        self, kind: str, parent_kind: str | None, on: dt.date, parent_code: str | None = None
    ) -> str | None:
        """Why a unit of ``kind`` starting on ``on`` cannot sit under a unit of
        ``parent_kind`` (None: at the top of the tree); None when it can."""
        ...


class UnknownRulesPackage(LookupError):
    pass


@dataclass(frozen=True)
class PackageVocabulary:
    """A rules package's structure seen as a vocabulary."""

    package: RulesPackage

    @property
    def kinds(self) -> Mapping[str, str]:
        return MappingProxyType(self.package.unit_kinds)

    @property
    def blocs(self) -> Mapping[str, str]:
        return MappingProxyType(self.package.blocs)

    def kind_problem(self, kind: str, on: dt.date) -> str | None:
        if kind not in self.package.unit_kind_specs:
            return f"unknown unit kind {kind!r}"
        if self.package.kind_in_force(kind, on):
            return None
        version = self.package.structure_version_on(on)
        spec = self.package.unit_kind_specs[kind]
        return (
            f"unit kind {kind!r} is not in force on {on} (package {self.package.id!r} "
            f"version {version.id}: structure.toml unit_kind '{kind}' has versions "
            f"{', '.join(spec.versions)})"
        )

    def parent_problem(
        self, kind: str, parent_kind: str | None, on: dt.date, parent_code: str | None = None
    ) -> str | None:
        placement = self.package.placement_on(kind, on)
        if placement is None:
            return None
        if parent_kind is None:
            if placement.top:
                return None
            where = "needs a parent unit"
        elif parent_kind in placement.parents:
            return None
        elif parent_code is None:
            where = f"cannot sit under a unit of kind {parent_kind!r}"
        else:
            where = f"cannot sit under {parent_code!r} of kind {parent_kind!r}"
        allowed = [*placement.parents, *(["(top of the tree)"] if placement.top else [])]
        version = self.package.structure_version_on(on)
        return (
            f"a unit of kind {kind!r} {where} on {on} (package {self.package.id!r} "
            f"version {version.id}, structure.toml placement of '{kind}': "
            f"allowed parents {', '.join(allowed)})"
        )


@dataclass(frozen=True)
class PermissiveVocabulary:
    """Accepts the kinds and blocs it is given, anywhere: used to go on checking the rest of
    a manifest whose rules package is unknown."""

    kinds: Mapping[str, str]
    blocs: Mapping[str, str]

    def kind_problem(self, kind: str, on: dt.date) -> str | None:
        return None

    def parent_problem(
        self, kind: str, parent_kind: str | None, on: dt.date, parent_code: str | None = None
    ) -> str | None:
        return None


def vocabulary_for(package_id: str) -> UnitVocabulary:
    """The vocabulary of a rules package; :class:`UnknownRulesPackage` if there is none."""
    try:
        package = load_package(package_id)
    except (RulesError, OSError) as error:
        raise UnknownRulesPackage(package_id) from error
    return PackageVocabulary(package)
