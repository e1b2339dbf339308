"""Today's Hưng Yên as data: the 2024 trees of Hưng Yên and Thái Bình, and the restructuring
file of 2025-07-01 that turns them into the merged province (read here, nothing applied).

The file is read by the restructuring engine's own reader and replayed on the two manifests
with the semantics of the design notes: a move closes the unit and re-creates it (and what
is in force under it) under its new parent, a merge and a close end units on the day, a
close takes the whole subtree with it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter

import msgspec
import pytest

from nguon.org.restructure import load_restructuring
from nguon.rules.errors import RulesError
from nguon.rules.registry import load_package
from nguon.tenancy.manifest import ManifestUnit, load_manifest
from tests.onboarding.conftest import TENANTS

RESTRUCTURING = TENANTS / "hungyen-2025-07-01.toml"
D = dt.date(2025, 7, 1)
COMMUNE_CODE = re.compile(r"^hy\.(?P<level>[px])\.(?P<origin>tb-)?[a-z]+$")
"""hy.p.<slug> is a ward, hy.x.<slug> a commune; "tb-" marks the old Thái Bình part."""


class Unit(msgspec.Struct, kw_only=True):
    code: str
    name: str
    kind: str
    bloc: str | None
    parent: str | None


def _flatten(units: list[ManifestUnit], parent: str | None, into: dict[str, Unit]) -> None:
    for unit in units:
        into[unit.code] = Unit(
            code=unit.code, name=unit.name, kind=unit.kind, bloc=unit.bloc, parent=parent
        )
        _flatten(unit.children, unit.code, into)


def _old_trees() -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for name in ("hungyen.toml", "thaibinh.toml"):
        _flatten(load_manifest(TENANTS / name).units, None, units)
    return units


class Replay(msgspec.Struct, kw_only=True):
    before: dict[str, Unit]
    after: dict[str, Unit]
    """The units in force on D."""
    successor: dict[str, str]
    closed: set[str]
    opened: list[Unit]
    problems: list[str]


def _below(units: dict[str, Unit], code: str) -> list[str]:
    """Codes under ``code`` (not itself), parents before children."""
    found: list[str] = []
    frontier = [code]
    while frontier:
        children = [u.code for u in units.values() if u.parent in frontier]
        found += children
        frontier = children
    return found


def _replay() -> Replay:
    spec = load_restructuring(RESTRUCTURING)
    assert (spec.tenant, spec.effective_on) == ("hungyen", D)
    before = _old_trees()
    after = dict(before)
    successor: dict[str, str] = {}
    closed: set[str] = set()
    problems: list[str] = []
    opened = [
        Unit(code=o.code, name=o.name, kind=o.kind, bloc=o.bloc, parent=o.parent)
        for o in spec.opens
    ]
    for unit in opened:
        if unit.code in after:
            problems.append(f"open {unit.code}: the code exists")
        after[unit.code] = unit

    def end(code: str, to: str | None) -> None:
        if code in closed:
            problems.append(f"{code}: closed twice")
        closed.add(code)
        after.pop(code, None)
        if to is not None:
            successor[code] = to

    for move in spec.moves:
        code = move.code
        if code not in after or code not in before:
            problems.append(f"move {code}: not in force the day before")
            continue
        new_code = move.new_code or f"{code}-{D:%Y%m%d}"
        old = after[code]
        renamed = {old.code: new_code}
        for below in _below(after, code):
            renamed[below] = (
                new_code + below[len(code) :]
                if below.startswith(code + ".")
                else f"{below}-{D:%Y%m%d}"
            )
        created = [
            Unit(
                code=new_code,
                name=move.name or old.name,
                kind=move.kind or old.kind,
                bloc=move.bloc or old.bloc,
                parent=move.parent,
            )
        ]
        for below in renamed:
            if below == code:
                continue
            unit = after[below]
            created.append(
                msgspec.structs.replace(unit, code=renamed[below], parent=renamed[unit.parent])
            )
        for old_code, new in renamed.items():
            end(old_code, new)
        for unit in created:
            if unit.code in before or unit.code in after:
                problems.append(f"move {code}: new code {unit.code} exists")
            after[unit.code] = unit
    assert spec.renames == []
    for merge in spec.merges:
        for code in merge.codes:
            if code not in after:
                problems.append(f"merge {code}: not in force")
            end(code, merge.into)
        if merge.into not in after:
            problems.append(f"merge into {merge.into}: not in force after {D}")
    for close in spec.closes:
        code = close.code
        if code not in after:
            problems.append(f"close {code}: not in force")
        for below in [code, *_below(after, code)]:
            end(below, None)
    for unit in after.values():
        if unit.parent is not None and unit.parent not in after:
            problems.append(f"{unit.code}: in force under {unit.parent}, which is not")
    return Replay(
        before=before,
        after=after,
        successor=successor,
        closed=closed,
        opened=opened,
        problems=problems,
    )


@pytest.fixture(scope="module")
def replay() -> Replay:
    return _replay()


@pytest.fixture(scope="module")
def package():
    return load_package("hungyen")


def test_the_thaibinh_manifest_describes_the_2024_province() -> None:
    units: dict[str, Unit] = {}
    _flatten(load_manifest(TENANTS / "thaibinh.toml").units, None, units)
    kinds = Counter(u.kind for u in units.values())
    assert kinds["district_committee"] == kinds["political_training_centre"] == 8
    assert kinds["police_committee"] == kinds["military_committee"] == 1
    assert kinds["bloc_committee"] == 1
    districts = {u.name for u in units.values() if u.kind == "district_committee"}
    assert districts == {
        "Thành ủy Thái Bình",
        *(
            f"Huyện ủy {n}"
            for n in (
                "Đông Hưng",
                "Hưng Hà",
                "Kiến Xương",
                "Quỳnh Phụ",
                "Thái Thụy",
                "Tiền Hải",
                "Vũ Thư",
            )
        ),
    }
    for district in (u for u in units.values() if u.kind == "district_committee"):
        under = [u for u in units.values() if u.parent == district.code]
        assert sum(u.kind == "political_training_centre" for u in under) == 1
        communes = [u for u in under if u.kind == "grassroots_committee" and u.bloc == "commune"]
        assert len(communes) >= 3, district.code
        for commune in communes:
            cells = [u for u in units.values() if u.parent == commune.code]
            assert len(cells) >= 3 and all(c.kind == "subordinate_cell" for c in cells)
        assert any(u.kind == "grassroots_cell" for u in under), district.code
    for committee in ("tb.ca", "tb.qs", "tb.khoi"):
        assert len([u for u in units.values() if u.parent == committee]) >= 2
    assert all(unicodedata.normalize("NFC", u.name) == u.name for u in units.values())


def test_the_file_opens_the_104_commune_level_committees(replay: Replay) -> None:
    assert replay.problems == []
    communes = [u for u in replay.opened if u.kind == "commune_committee"]
    assert len(communes) == 104
    parts = Counter()
    for unit in communes:
        match = COMMUNE_CODE.match(unit.code)
        assert match, unit.code
        level = "ward" if match["level"] == "p" else "commune"
        origin = "thaibinh" if match["origin"] else "hungyen"
        parts[origin, level] += 1
        prefix = "Đảng ủy phường " if level == "ward" else "Đảng ủy xã "
        assert unit.name.startswith(prefix) and unit.parent == "hy" and unit.bloc == "commune"
        assert unicodedata.normalize("NFC", unit.name) == unit.name
    assert parts == {
        ("hungyen", "ward"): 6,
        ("hungyen", "commune"): 33,
        ("thaibinh", "ward"): 5,
        ("thaibinh", "commune"): 60,
    }
    assert len({u.name for u in communes}) == 104
    names = {u.name for u in communes}
    assert {
        "Đảng ủy phường Phố Hiến",
        "Đảng ủy phường Sơn Nam",
        "Đảng ủy phường Hồng Châu",
    } <= names
    assert {"Đảng ủy xã Tân Hưng", "Đảng ủy xã Hoàng Hoa Thám", "Đảng ủy xã Tiên Lữ"} <= names
    others = {u.kind for u in replay.opened} - {"commune_committee"}
    assert others == {"party_agencies_committee", "people_committee_party_committee"}


def test_every_old_unit_is_closed_moved_or_merged(replay: Replay) -> None:
    kept = {"hy", "hy.btc", "hy.ca", "hy.qs"}
    for code, unit in replay.before.items():
        if code in kept or code.startswith(("hy.ca.", "hy.qs.")):
            assert code in replay.after, f"{code} should stay in force"
            continue
        assert code in replay.closed, f"{code} is still in force after {D}"
        if unit.kind == "grassroots_committee" and unit.bloc == "commune":
            assert COMMUNE_CODE.match(replay.successor[code]), f"{code} is not merged"
        if unit.kind in {"subordinate_cell", "grassroots_cell", "grassroots_committee"}:
            assert code in replay.successor, f"{code} holds people and has no successor"
    for code in ("tb", "tb.btc", "tb.ca", "tb.qs"):
        assert replay.successor[code] == code.replace("tb", "hy", 1)


def test_commune_cells_sit_under_the_new_commune_committee(replay: Replay) -> None:
    old_commune = {
        code
        for code, unit in replay.before.items()
        if unit.kind == "grassroots_committee" and unit.bloc == "commune"
    }
    moved = 0
    for code, unit in replay.before.items():
        if unit.parent in old_commune:
            new = replay.after[replay.successor[code]]
            assert new.parent == replay.successor[unit.parent], code
            assert new.kind == "subordinate_cell"
            moved += 1
    assert moved >= 200
    assert replay.successor["hy.vanlam.lachong.thon-1"] == "hy.x.nhuquynh.lachong-thon-1"
    assert replay.after["hy.x.nhuquynh.lachong-thon-1"].name == "Chi bộ thôn 1 (xã Lạc Hồng cũ)"


def test_every_unit_in_force_fits_package_version_2025_2(replay: Replay, package) -> None:
    assert package.structure_version_on(D).id == "2025.2"
    for unit in replay.after.values():
        assert package.kind_in_force(unit.kind, D), unit.code
        placement = package.placement_on(unit.kind, D)
        assert placement is not None, unit.code
        if unit.parent is None:
            assert placement.top, unit.code
        else:
            assert replay.after[unit.parent].kind in placement.parents, unit.code
        assert unit.bloc is None or unit.bloc in package.blocs, unit.code
    kinds = Counter(u.kind for u in replay.after.values())
    assert kinds["province_committee"] == kinds["organisation_board"] == 1
    assert kinds["commune_committee"] == 104
    assert not {"district_committee", "bloc_committee", "political_training_centre"} & set(kinds)


def _effective_bloc(units: dict[str, Unit], unit: Unit) -> str | None:
    while unit is not None:
        if unit.bloc:
            return unit.bloc
        unit = units.get(unit.parent) if unit.parent else None
    return None


def _broken_chains(units: dict[str, Unit], package, on: dt.date) -> list[str]:
    """Listers with no ancestor of the kind their chain names next.

    ``pipeline.chain.receiver_for`` also accepts an ancestor's child of that kind (the
    organisation board beside the committees), so a unit under the wrong committee would
    report sideways to a neighbour (a state agency to the Party Agencies committee); a
    lister's next kind must be above it.
    """
    broken = []
    for unit in units.values():
        if unit.kind not in package.people_holding_kinds:
            continue
        try:
            parent_kind = units[unit.parent].kind if unit.parent else None
            path = package.reporting_chain(unit.kind, _effective_bloc(units, unit), on, parent_kind)
        except RulesError as error:
            broken.append(f"{unit.code}: {error}")
            continue
        ancestors = []
        parent = unit.parent
        while parent:
            ancestors.append(units[parent])
            parent = units[parent].parent
        if not any(a.kind == path[1] for a in ancestors):
            broken.append(f"{unit.code}: no {path[1]} above it")
    return broken


def test_every_list_has_a_receiver_after_the_restructuring(replay: Replay, package) -> None:
    assert _broken_chains(replay.after, package, D) == []


@pytest.mark.parametrize("manifest", ["hungyen.toml", "thaibinh.toml"])
def test_every_list_has_a_receiver_in_2024(manifest: str, package) -> None:
    units: dict[str, Unit] = {}
    _flatten(load_manifest(TENANTS / manifest).units, None, units)
    assert _broken_chains(units, package, dt.date(2024, 5, 1)) == []
