"""Every reporting chain of every version of every bundled rules package can be walked.

For each chain in force in a version, a tree is built under that version's placement rules
(each kind of the chain placed under the nearest unit already built that its placement
allows), and a list is made by the lister, adopted, sent up, accepted and sent on at every
level until it reaches the top of the chain. A chain whose kinds the placement rules cannot
arrange, or that the routing cannot follow, fails here and names the chain.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from nguon.accounts.permissions import Access, Grant
from nguon.org.service import create_unit
from nguon.org.tables import OrgUnit
from nguon.pipeline import lists
from nguon.pipeline.events import pipeline_transaction
from nguon.pipeline.schemas import ListCreate, ResolutionIn
from nguon.rules.manifest import ChainSpec, VersionSpec
from nguon.rules.package import RulesPackage, in_period
from nguon.rules.registry import available_packages, load_package
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant
from tests.conftest import Database
from tests.onboarding.conftest import fresh_slug

_codes = itertools.count(1)


def _walks() -> list[tuple[str, str, str]]:
    found = []
    for package_id in available_packages():
        package = load_package(package_id)
        for version in package.versions:
            for chain in _chains_in(package, version):
                found.append((package_id, version.id, chain.id))
    return found


def _chains_in(package: RulesPackage, version: VersionSpec) -> list[ChainSpec]:
    return [
        chain
        for chain, periods in package.chains
        if not periods or any(in_period(version.valid_from, p) for p in periods)
    ]


def _first_period(package: RulesPackage, version: VersionSpec) -> str:
    assert package.calendar is not None, f"{package.id} has chains but no review calendar"
    for year in range(version.valid_from.year, version.valid_from.year + 3):
        for period in package.calendar.periods(year):
            if period.opens >= version.valid_from and (
                version.valid_to is None or period.opens < version.valid_to
            ):
                return period.code
    raise AssertionError(f"{package.id} {version.id}: no review period in the version")


async def _build_tree(
    package: RulesPackage, chain: ChainSpec, on: dt.date
) -> list[dict[str, object]]:
    """One unit per kind of the chain (lister first), placed as the package allows on ``on``."""
    actor = lists.actor_of(
        Access(user_id=0, tenant_id=0, username="test", full_name="test", grants=())
    )
    bloc = chain.blocs[0] if chain.blocs else None
    built: list[OrgUnit] = []  # top first
    for kind in reversed(chain.path):
        placement = package.placement_on(kind, on)
        parent = None
        if built:
            allowed = None if placement is None else set(placement.parents)
            top_allowed = placement is None or placement.top
            wanted = [*allowed] if allowed is not None else None
            if kind == chain.kind and chain.parent_kinds:
                wanted = [k for k in (wanted or chain.parent_kinds) if k in chain.parent_kinds]
            parent = next(
                (u for u in reversed(built) if wanted is None or u.kind in wanted),
                None,
            )
            assert parent is not None or top_allowed, (
                f"chain {chain.id}: no unit of the chain can hold a {kind} on {on}"
            )
        top = not built
        unit = await create_unit(
            code=f"u{next(_codes)}",
            name=f"Đơn vị {kind}",
            kind=kind,
            bloc=None if top or kind == "organisation_board" else bloc,
            parent=parent,
            valid_from=dt.date(2020, 1, 1),
            actor=actor,
        )
        built.append(unit)
    return [unit.to_dict() for unit in reversed(built)]


async def walk_chain(db: Database, package_id: str, version: VersionSpec, chain: ChainSpec) -> None:
    """Build a tree for ``chain`` in a new tenant and send a list up all of it."""
    package = load_package(package_id)
    period = _first_period(package, version)
    opens = lists.resolve_period(package, period).opens
    async with db.owner.transaction():
        tenant = Tenant(slug=fresh_slug("chains"), name="Tỉnh thử", rules_package=package_id)
        await tenant.save().run()
        await switch_tenant_in_transaction(tenant.id)
        with tenant_context(tenant.id):
            units = await _build_tree(package, chain, opens)
    access = Access(
        user_id=0,
        tenant_id=tenant.id,
        username="admin",
        full_name="Quản trị",
        grants=(Grant(unit_id=None, path="", role="tenant_admin"),),
    )
    resolution = ResolutionIn(
        number="01-NQ",
        adopted_on=opens,
        members_total=9,
        members_present=9,
        members_agreeing=9,
    )
    received: list[int] = []
    with tenant_context(tenant.id):
        previous: int | None = None
        for level, unit in enumerate(units[:-1]):
            async with pipeline_transaction():
                if previous is not None:
                    version_now = (await lists.get_list(access, previous)).summary.version
                    await lists.accept_list(access, previous, version_now)
                made = await lists.create_list(
                    access, ListCreate(unit_id=int(unit["id"]), step="survey", period_code=period)
                )
                list_id = made.summary.id
                await lists.adopt_list(access, list_id, resolution, made.summary.version)
                sent = await lists.submit_list(access, list_id, made.summary.version + 1)
            expected = units[level + 1]
            assert sent.summary.receiver_unit_id == expected["id"], (
                f"{chain.id}: the list of {unit['kind']} went to unit "
                f"{sent.summary.receiver_unit_id}, not the {expected['kind']}"
            )
            received.append(int(expected["id"]))
            previous = list_id
    assert received == [int(u["id"]) for u in units[1:]]


@pytest.mark.parametrize(("package_id", "version_id", "chain_id"), _walks())
async def test_every_chain_of_every_version_can_be_walked(
    sqlite_db: Database, package_id: str, version_id: str, chain_id: str
) -> None:
    package = load_package(package_id)
    version = next(v for v in package.versions if v.id == version_id)
    chain = next(c for c in _chains_in(package, version) if c.id == chain_id)
    await walk_chain(sqlite_db, package_id, version, chain)
