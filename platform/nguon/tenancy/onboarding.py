"""Onboard a province from its manifest: one transaction, all or nothing, repeatable.

Run as the database owner (an operator action). Units are matched by code, users by
username, memberships by (user, unit, role): running the same manifest twice creates
nothing the second time; a manifest that adds units creates just those.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import msgspec

from nguon.accounts.passwords import hash_password
from nguon.accounts.tables import User
from nguon.audit.service import Actor, record_event
from nguon.db.binding import current_engine
from nguon.org.service import create_units, existing_units
from nguon.org.tables import Membership, OrgUnit, Restructuring
from nguon.plugin_admin.service import apply_setting, masked
from nguon.tenancy.closed import closed_problem
from nguon.tenancy.context import tenant_context
from nguon.tenancy.manifest import (
    Manifest,
    ManifestAdmin,
    ManifestError,
    ManifestUser,
    check_manifest,
    load_manifest,
)
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant

ONBOARD_ACTOR = Actor(label="cli:onboard")


class OnboardingReport(msgspec.Struct, kw_only=True):
    tenant_id: int
    slug: str
    tenant_created: bool
    units_created: list[str]
    units_unchanged: int
    users_created: list[str]
    users_unchanged: list[str]
    memberships_created: int
    memberships_unchanged: int
    generated_passwords: dict[str, str] = {}
    """Passwords generated for new users: shown once to the operator, never stored."""
    next_steps: list[str] = []

    @property
    def changed(self) -> bool:
        return bool(
            self.tenant_created
            or self.units_created
            or self.users_created
            or self.memberships_created
        )


class _Grant(msgspec.Struct, frozen=True):
    username: str
    unit: str
    role: str


def _grants(manifest: Manifest) -> list[tuple[_Grant, object]]:
    root = manifest.units[0]
    grants: list[tuple[_Grant, object]] = [
        (_Grant(manifest.admin.username, root.code, "tenant_admin"), None)
    ]
    for user in manifest.users:
        for membership in user.memberships:
            grants.append(
                (_Grant(user.username, membership.unit, membership.role), membership.valid_from)
            )
    return grants


async def onboard(manifest: Manifest, actor: Actor = ONBOARD_ACTOR) -> OnboardingReport:
    """Apply ``manifest`` in one transaction; :class:`ManifestError` leaves nothing written."""
    engine = current_engine()
    with tenant_context(None):
        async with engine.transaction():
            return await _onboard(manifest, actor)


async def _restructured_since(tenant_id: int) -> str | None:
    """Why a manifest no longer fits a tenant whose tree was restructured or merged into
    since it was onboarded (the manifest describes the tree before), or None."""
    last = (
        await Restructuring.select(Restructuring.effective_on, Restructuring.reference)
        .where(in_tenant(Restructuring))
        .order_by(Restructuring.effective_on, ascending=False)
        .first()
    )
    if last is None:
        return None
    return (
        f"$.units: the tenant's tree was restructured on {last['effective_on']:%Y-%m-%d}"
        f" ({last['reference'] or 'a restructuring'}), so this manifest, which describes the"
        " tree before, no longer applies: add users with `nguon users create` (or the"
        " portal's Người dùng), units with `nguon tenant import-units`, plugin settings in"
        " the portal"
    )


async def _onboard(manifest: Manifest, actor: Actor) -> OnboardingReport:
    tenant = await Tenant.objects().where(Tenant.slug == manifest.slug).first()
    problems: list[str] = []
    existing_users: dict[str, int] = {}
    existing_grants: set[_Grant] = set()
    units = {}
    if tenant is not None:
        closed = closed_problem(tenant)
        if closed:
            raise ManifestError([f"$.slug: {closed}"])
        for field in ("name", "rules_package"):
            if getattr(tenant, field) != getattr(manifest, field):
                problems.append(
                    f"$.{field}: tenant {manifest.slug!r} already exists with "
                    f"{field} {getattr(tenant, field)!r}"
                )
        await switch_tenant_in_transaction(tenant.id)
        units = await existing_units()
        users = await User.select(User.id, User.username).where(in_tenant(User))
        existing_users = {row["username"]: row["id"] for row in users}
        rows = await Membership.select(
            Membership.user.username, Membership.unit.code, Membership.role
        ).where(in_tenant(Membership))
        existing_grants = {
            _Grant(row["user.username"], row["unit.code"], row["role"]) for row in rows
        }

    check = check_manifest(manifest, units)
    problems.extend(check.problems)
    if problems and tenant is not None:
        restructured = await _restructured_since(tenant.id)
        if restructured:
            raise ManifestError([restructured])
    if problems:
        raise ManifestError(problems)

    tenant_created = tenant is None
    if tenant is None:
        tenant = Tenant(
            slug=manifest.slug, name=manifest.name, rules_package=manifest.rules_package
        )
        await tenant.save().run()
        await switch_tenant_in_transaction(tenant.id)
        await record_event(
            actor,
            "create",
            "tenant",
            tenant.id,
            after={"slug": tenant.slug, "name": tenant.name, "rules_package": tenant.rules_package},
        )

    created_units = await create_units(check.units.to_create, units, actor)

    generated: dict[str, str] = {}
    users_created: list[str] = []
    users_unchanged: list[str] = []
    accounts: list[ManifestAdmin | ManifestUser] = [manifest.admin, *manifest.users]
    for account in accounts:
        if account.username in existing_users:
            users_unchanged.append(account.username)
            continue
        if account.generate_password:
            generated[account.username] = secrets.token_urlsafe(12)
            password_hash = hash_password(generated[account.username])
        else:
            password_hash = account.password_hash or ""
        user = User(
            tenant_id=tenant.id,
            username=account.username,
            full_name=account.full_name.strip(),
            password_hash=password_hash,
        )
        await user.save().run()
        existing_users[account.username] = user.id
        users_created.append(account.username)
        await record_event(
            actor,
            "create",
            "user",
            user.id,
            after={"username": user.username, "full_name": user.full_name},
        )

    memberships_created = 0
    grants = _grants(manifest)
    for grant, valid_from in grants:
        if grant in existing_grants:
            continue
        unit = units[grant.unit]
        membership = Membership(
            tenant_id=tenant.id,
            user=existing_users[grant.username],
            unit=unit.id,
            role=grant.role,
            valid_from=valid_from or unit.valid_from,
        )
        await membership.save().run()
        existing_grants.add(grant)
        memberships_created += 1
        await record_event(
            actor,
            "create",
            "membership",
            membership.id,
            after={
                "username": grant.username,
                "unit": grant.unit,
                "role": grant.role,
                "valid_from": membership.valid_from,
            },
        )

    for name, plugin in manifest.plugins.items():
        if not await apply_setting(tenant.id, name, plugin.enabled, plugin.config):
            continue
        await record_event(
            actor,
            "update",
            "tenant_plugin",
            None,
            after={"name": name, "enabled": plugin.enabled, "config": masked(plugin.config)},
        )

    return OnboardingReport(
        tenant_id=tenant.id,
        slug=tenant.slug,
        tenant_created=tenant_created,
        units_created=[unit.code for unit in created_units],
        units_unchanged=len(check.units.unchanged),
        users_created=users_created,
        users_unchanged=users_unchanged,
        memberships_created=memberships_created,
        memberships_unchanged=len({g for g, _ in grants}) - memberships_created,
        generated_passwords=generated,
        next_steps=list(manifest.next_steps),
    )


async def onboard_file(path: Path, actor: Actor = ONBOARD_ACTOR) -> OnboardingReport:
    return await onboard(load_manifest(path), actor)


class TenantSummary(msgspec.Struct):
    id: int
    slug: str
    name: str
    rules_package: str
    units: int
    users: int
    merged_into: str | None = None
    merged_on: dt.date | None = None


async def list_tenants() -> list[TenantSummary]:
    summaries = []
    for tenant in await Tenant.select().order_by(Tenant.slug):
        with tenant_context(tenant["id"]):
            units = await OrgUnit.count().where(in_tenant(OrgUnit))
            users = await User.count().where(in_tenant(User))
        summaries.append(
            TenantSummary(
                id=tenant["id"],
                slug=tenant["slug"],
                name=tenant["name"],
                rules_package=tenant["rules_package"],
                units=units,
                users=users,
                merged_into=tenant["merged_into"],
                merged_on=tenant["merged_on"],
            )
        )
    return summaries
