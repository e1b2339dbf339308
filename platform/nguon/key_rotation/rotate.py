"""Move what the previous secret key protects under the current one, tenant by tenant.

National ID numbers are decrypted with whichever key opens them, then encrypted and hashed
(the lookup) under the current key, ``batch_size`` rows per transaction. Each row is
rewritten only if it still holds what was read (a compare-and-set), so a web process
editing it meanwhile wins, and a run killed mid-way loses nothing: the next run picks up
the rows not yet under the current key. Sealed plugin secrets are re-sealed too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
from cryptography.fernet import InvalidToken

from nguon.crypto import (
    current_key_id,
    decrypt_national_id,
    encrypt_national_id,
    national_id_lookup_hash,
    secret_keys,
)
from nguon.db.binding import current_engine
from nguon.people.tables import Candidate
from nguon.plugin_admin.service import resealed
from nguon.plugin_admin.tables import TenantPlugin
from nguon.tenancy.context import tenant_context
from nguon.tenancy.scoped import in_tenant, switch_tenant_in_transaction
from nguon.tenancy.tables import Tenant


class TenantProgress(msgspec.Struct, kw_only=True):
    slug: str
    total: int
    """National ID numbers stored in the tenant."""
    rekeyed: int = 0
    """Moved under the current key by this run."""
    remaining: int = 0
    """Still under another key (0 when the tenant is done)."""
    unreadable: int = 0
    """Opened by neither key: left as they are (see the report)."""
    plugin_secrets: int = 0


class RotationReport(msgspec.Struct, kw_only=True):
    key_id: str
    tenants: list[TenantProgress]

    @property
    def done(self) -> bool:
        return all(t.remaining == t.unreadable for t in self.tenants)


ProgressCallback = Callable[[TenantProgress], Awaitable[None] | None]


def _pending() -> object:
    key = current_key_id()
    return (
        in_tenant(Candidate)
        & Candidate.national_id_encrypted.is_not_null()
        & (Candidate.national_id_key.is_null() | (Candidate.national_id_key != key))
    )


async def _count(where: object) -> int:
    return await Candidate.count().where(where)  # type: ignore[arg-type]


async def _rekey_batch(after_id: int, batch_size: int) -> tuple[int, int, int]:
    """Re-key up to ``batch_size`` pending rows after ``after_id``; returns the last id
    seen, rows re-keyed and rows no key opens."""
    rows = await (
        Candidate.select(Candidate.id, Candidate.national_id_encrypted)
        .where(_pending(), Candidate.id > after_id)  # type: ignore[arg-type]
        .order_by(Candidate.id)
        .limit(batch_size)
        .run()
    )
    key = current_key_id()
    rekeyed = unreadable = 0
    for row in rows:
        stored = row["national_id_encrypted"]
        try:
            number = decrypt_national_id(stored)
        except InvalidToken:
            unreadable += 1
            continue
        await (
            Candidate.update(
                {
                    Candidate.national_id_encrypted: encrypt_national_id(number),
                    Candidate.national_id_hash: national_id_lookup_hash(number),
                    Candidate.national_id_key: key,
                }
            )
            .where(
                in_tenant(Candidate),
                Candidate.id == row["id"],
                Candidate.national_id_encrypted == stored,
            )
            .run()
        )
        rekeyed += 1
    last = rows[-1]["id"] if rows else after_id
    return last, rekeyed, unreadable


async def _reseal_plugins() -> int:
    changed = 0
    for row in await TenantPlugin.select(TenantPlugin.id, TenantPlugin.config).where(
        in_tenant(TenantPlugin)
    ):
        config, differs = resealed(row["config"])
        if differs:
            await (
                TenantPlugin.update({TenantPlugin.config: config})
                .where(in_tenant(TenantPlugin), TenantPlugin.id == row["id"])
                .run()
            )
            changed += 1
    return changed


async def rotate_tenant(
    tenant_id: int, slug: str, batch_size: int, progress: ProgressCallback | None = None
) -> TenantProgress:
    with tenant_context(tenant_id):
        total = await _count(in_tenant(Candidate) & Candidate.national_id_encrypted.is_not_null())
        report = TenantProgress(slug=slug, total=total, remaining=await _count(_pending()))
        after_id = 0
        while True:
            async with current_engine().transaction():
                await switch_tenant_in_transaction(tenant_id)
                last, rekeyed, unreadable = await _rekey_batch(after_id, batch_size)
            if last == after_id:
                break
            after_id = last
            report.rekeyed += rekeyed
            report.unreadable += unreadable
            report.remaining = max(report.remaining - rekeyed, 0)
            if progress is not None:
                outcome = progress(report)
                if outcome is not None:
                    await outcome
        async with current_engine().transaction():
            await switch_tenant_in_transaction(tenant_id)
            report.plugin_secrets = await _reseal_plugins()
        report.remaining = await _count(_pending())
    return report


async def rotate(batch_size: int = 500, progress: ProgressCallback | None = None) -> RotationReport:
    """Re-key every tenant (run as the database owner)."""
    tenants = await Tenant.select(Tenant.id, Tenant.slug).order_by(Tenant.id).run()
    results = [
        await rotate_tenant(tenant["id"], tenant["slug"], batch_size, progress)
        for tenant in tenants
    ]
    return RotationReport(key_id=current_key_id(), tenants=results)


def rotation_under_way() -> bool:
    return len(secret_keys()) > 1
