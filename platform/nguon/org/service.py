"""Creating units and finding them: materialised paths, subtrees, codes.

A unit's ``path`` is its ancestors' ids and its own, each followed by a dot ("1.5.23.");
its subtree is every unit whose path starts with it. Callers run inside a tenant
(:func:`nguon.tenancy.context.tenant_context` or an onboarding transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from piccolo.columns import Varchar
from piccolo.columns.combination import Where

from nguon.audit.service import Actor, record_event
from nguon.audit.tables import AuditEvent
from nguon.org.tables import OrgUnit
from nguon.org.unit_specs import ExistingUnit, UnitSpec
from nguon.tenancy.context import require_tenant
from nguon.tenancy.scoped import in_tenant

BATCH_SIZE = 500

_SET_PATHS = (
    "UPDATE org_unit SET path = COALESCE("
    "(SELECT p.path FROM org_unit AS p WHERE p.id = org_unit.parent), '') "
    "|| CAST(org_unit.id AS TEXT) || '.' "
    "WHERE org_unit.tenant_id = {} AND org_unit.path = ''"
)


def subtree_where(path: str, column: Varchar = OrgUnit.path) -> Where:
    """Rows at or below the unit whose path is ``path`` (pass ``Candidate.unit_path`` etc.)."""
    if not path.endswith("."):
        raise ValueError(f"not a unit path: {path!r}")
    return column.like(f"{path}%")  # type: ignore[return-value]


async def unit_by_code(code: str) -> OrgUnit | None:
    return await OrgUnit.objects().where(in_tenant(OrgUnit), OrgUnit.code == code).first()


async def existing_units() -> dict[str, ExistingUnit]:
    """Every unit of the current tenant, by code."""
    rows = await OrgUnit.select(
        OrgUnit.id,
        OrgUnit.code,
        OrgUnit.name,
        OrgUnit.kind,
        OrgUnit.bloc,
        OrgUnit.parent.code.as_alias("parent_code"),
        OrgUnit.path,
        OrgUnit.depth,
        OrgUnit.valid_from,
        OrgUnit.valid_to,
    ).where(in_tenant(OrgUnit))
    return {row["code"]: ExistingUnit(**row) for row in rows}


def _audit_state(unit: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in unit.items()
        if key != "id"
    }


async def create_unit(
    *,
    code: str,
    name: str,
    kind: str,
    valid_from: dt.date,
    parent: OrgUnit | None = None,
    bloc: str | None = None,
    valid_to: dt.date | None = None,
    actor: Actor,
) -> OrgUnit:
    """Create one unit under ``parent`` (not checked against a vocabulary: callers do that)."""
    unit = OrgUnit(
        tenant_id=require_tenant(),
        code=code,
        name=name,
        kind=kind,
        bloc=bloc,
        parent=None if parent is None else parent.id,
        path="",
        depth=0 if parent is None else parent.depth + 1,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    await unit.save().run()
    unit.path = ("" if parent is None else parent.path) + f"{unit.id}."
    await unit.save([OrgUnit.path]).run()
    await record_event(
        actor,
        "create",
        "org_unit",
        unit.id,
        after=_audit_state(
            {**unit.to_dict(), "parent_code": None if parent is None else parent.code}
        ),
    )
    return unit


async def create_units(
    specs: Sequence[UnitSpec], existing: dict[str, ExistingUnit], actor: Actor
) -> list[ExistingUnit]:
    """Insert checked units (parents before children) in batches, one level at a time.

    ``existing`` is extended with the new units. Each new unit gets an audit event.
    """
    tenant_id = require_tenant()
    created: list[ExistingUnit] = []
    levels: dict[int, list[UnitSpec]] = {}
    depth_of: dict[str, int] = {}
    for spec in specs:
        if spec.parent_code is None:
            depth = 0
        elif spec.parent_code in depth_of:
            depth = depth_of[spec.parent_code] + 1
        else:
            depth = existing[spec.parent_code].depth + 1
        depth_of[spec.code] = depth
        levels.setdefault(depth, []).append(spec)

    for depth in sorted(levels):
        level = levels[depth]
        for start in range(0, len(level), BATCH_SIZE):
            await OrgUnit.insert(
                *[
                    OrgUnit(
                        tenant_id=tenant_id,
                        code=spec.code,
                        name=spec.name,
                        kind=spec.kind,
                        bloc=spec.bloc,
                        parent=None if spec.parent_code is None else existing[spec.parent_code].id,
                        path="",
                        depth=depth,
                        valid_from=spec.valid_from,
                        valid_to=spec.valid_to,
                    )
                    for spec in level[start : start + BATCH_SIZE]
                ]
            ).run()
        await OrgUnit.raw(_SET_PATHS, tenant_id).run()
        by_code = {spec.code: spec for spec in level}
        codes = list(by_code)
        for start in range(0, len(codes), BATCH_SIZE):
            rows = await OrgUnit.select(OrgUnit.id, OrgUnit.code, OrgUnit.path).where(
                in_tenant(OrgUnit), OrgUnit.code.is_in(codes[start : start + BATCH_SIZE])
            )
            for row in rows:
                spec = by_code[row["code"]]
                unit = ExistingUnit(
                    id=row["id"],
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    bloc=spec.bloc,
                    parent_code=spec.parent_code,
                    path=row["path"],
                    depth=depth,
                    valid_from=spec.valid_from,
                    valid_to=spec.valid_to,
                )
                existing[spec.code] = unit
                created.append(unit)

    for start in range(0, len(created), BATCH_SIZE):
        await AuditEvent.insert(
            *[
                AuditEvent(
                    tenant_id=tenant_id,
                    actor=actor.label,
                    actor_id=actor.user_id,
                    action="create",
                    entity_type="org_unit",
                    entity_id=unit.id,
                    before=None,
                    after=_audit_state(vars(unit)),
                )
                for unit in created[start : start + BATCH_SIZE]
            ]
        ).run()
    return created
