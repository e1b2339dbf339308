"""The words a tenant's hierarchy may use: unit kinds, blocs, and which kind sits under which.

The rules package of a tenant owns the kinds and blocs (``nguon.rules.registry``); which
kind may sit under which comes from :data:`HUNGYEN_2024_VOCABULARY`'s placement table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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

ROOT = ""
"""The parent kind of a unit at the top of the tree (no parent)."""


class UnitVocabulary(Protocol):
    """What onboarding and imports check a hierarchy against."""

    @property
    def kinds(self) -> Mapping[str, str]: ...

    @property
    def blocs(self) -> Mapping[str, str]: ...

    @property
    def allowed_parents(self) -> Mapping[str, frozenset[str]]:
        """Kind → the kinds its parent may have; :data:`ROOT` allows no parent."""
        ...


@dataclass(frozen=True)
class Vocabulary:
    kinds: Mapping[str, str]
    blocs: Mapping[str, str]
    allowed_parents: Mapping[str, frozenset[str]] = field(default_factory=dict)


class UnknownRulesPackage(LookupError):
    pass


_DISTRICT_LEVEL = frozenset(
    {"district_committee", "police_committee", "military_committee", "bloc_committee"}
)
_PROVINCE_2025_COMMITTEES = frozenset(
    {"party_agencies_committee", "people_committee_party_committee"}
)

HUNGYEN_2024_VOCABULARY = Vocabulary(
    kinds=MappingProxyType(
        {
            "province_committee": "Tỉnh ủy",
            "organisation_board": "Ban Tổ chức Tỉnh ủy",
            "district_committee": "Huyện ủy, Thị ủy, Thành ủy",
            "police_committee": "Đảng ủy Công an tỉnh",
            "military_committee": "Đảng ủy Quân sự tỉnh",
            "bloc_committee": "Đảng ủy khối Cơ quan – Doanh nghiệp tỉnh",
            "political_training_centre": "Trung tâm chính trị",
            "grassroots_committee": "Đảng ủy cơ sở",
            "grassroots_cell": "Chi bộ cơ sở",
            "subordinate_cell": "Chi bộ trực thuộc",
            "commune_committee": "Đảng ủy xã, phường (từ 01/7/2025)",
            "party_agencies_committee": "Đảng ủy các cơ quan Đảng tỉnh",
            "people_committee_party_committee": "Đảng ủy Ủy ban nhân dân tỉnh",
        }
    ),
    blocs=MappingProxyType(
        {
            "commune": "Xã, phường, thị trấn",
            "agency": "Cơ quan hành chính, sự nghiệp",
            "education": "Giáo dục",
            "health": "Y tế",
            "enterprise": "Doanh nghiệp",
            "industrial_zone_enterprise": "Doanh nghiệp trong khu công nghiệp",
            "police": "Công an",
            "military": "Quân sự",
        }
    ),
    allowed_parents=MappingProxyType(
        {
            "province_committee": frozenset({ROOT}),
            "organisation_board": frozenset({"province_committee"}),
            "district_committee": frozenset({"province_committee"}),
            "police_committee": frozenset({"province_committee"}),
            "military_committee": frozenset({"province_committee"}),
            "bloc_committee": frozenset({"province_committee"}),
            "commune_committee": frozenset({"province_committee"}),
            "party_agencies_committee": frozenset({"province_committee"}),
            "people_committee_party_committee": frozenset({"province_committee"}),
            "political_training_centre": frozenset({"district_committee"}),
            "grassroots_committee": _DISTRICT_LEVEL | _PROVINCE_2025_COMMITTEES,
            "grassroots_cell": _DISTRICT_LEVEL | _PROVINCE_2025_COMMITTEES,
            "subordinate_cell": frozenset({"grassroots_committee", "commune_committee"}),
        }
    ),
)
"""The Hưng Yên vocabulary (2024 structure plus the 2025 kinds) and its placement table."""


def vocabulary_for(package_id: str) -> UnitVocabulary:
    """The vocabulary of a rules package; :class:`UnknownRulesPackage` if there is none."""
    try:
        package = load_package(package_id)
    except (RulesError, OSError) as error:
        raise UnknownRulesPackage(package_id) from error
    return _from_package(package)


def _from_package(package: RulesPackage) -> Vocabulary:
    kinds = dict(package.unit_kinds)
    placement = HUNGYEN_2024_VOCABULARY.allowed_parents
    return Vocabulary(
        kinds=MappingProxyType(kinds),
        blocs=MappingProxyType(dict(package.blocs)),
        allowed_parents=MappingProxyType({k: placement[k] for k in kinds if k in placement}),
    )
