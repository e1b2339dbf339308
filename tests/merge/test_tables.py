"""No tenant table is forgotten by the merge, and its conflict checks come from the database."""

from __future__ import annotations

import importlib
import pkgutil

from piccolo.table import Table

import nguon
from nguon.db.binding import current_engine
from nguon.db.engine import is_postgres
from nguon.tenancy.tables import Tenant
from nguon.tenancy.tenant_tables import TENANT_COLUMN, column_names, tenant_tables, unique_keys
from tests.conftest import Database

MIGRATIONS = "nguon.db.migrations"


def _all_table_classes() -> set[type[Table]]:
    for module in pkgutil.walk_packages(nguon.__path__, prefix="nguon."):
        if not module.name.startswith(MIGRATIONS):
            importlib.import_module(module.name)
    found: set[type[Table]] = set()
    pending = list(Table.__subclasses__())
    while pending:
        table = pending.pop()
        pending.extend(table.__subclasses__())
        module = table.__module__
        if module.startswith("nguon.") and not module.startswith(MIGRATIONS):
            found.add(table)
    return found


def test_every_table_class_with_a_tenant_id_is_moved() -> None:
    with_tenant = {t for t in _all_table_classes() if TENANT_COLUMN in column_names(t)}
    assert with_tenant, "no table classes found: the walk is broken"
    assert with_tenant == set(tenant_tables())


async def test_every_database_table_with_a_tenant_id_is_moved(db: Database) -> None:
    with db.as_owner():
        if is_postgres(current_engine()):
            rows = await Tenant.raw(
                "SELECT table_name AS name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND column_name = 'tenant_id'"
            ).run()
        else:
            rows = await Tenant.raw(
                "SELECT m.name AS name FROM sqlite_master AS m "
                "JOIN pragma_table_info(m.name) AS c WHERE m.type = 'table' "
                "AND c.name = 'tenant_id'"
            ).run()
    in_database = {row["name"] for row in rows}
    assert len(in_database) >= 20
    assert in_database == {t._meta.tablename for t in tenant_tables()}


async def test_the_unique_keys_are_read_from_the_migrations_indexes(db: Database) -> None:
    with db.as_owner():
        keys = {(k.table, k.columns) for k in await unique_keys() if k.per_tenant}
    assert {
        ("org_unit", ("tenant_id", "code")),
        ("app_user", ("tenant_id", "username")),
        ("candidate", ("tenant_id", "national_id_hash")),
        ("tenant_plugin", ("tenant_id", "name")),
        ("candidate_list", ("tenant_id", "unit", "step", "period_code")),
        ("admission_plan", ("tenant_id", "unit", "year")),
        ("deadline_reminder", ("tenant_id", "unit", "period_code", "kind")),
        ("restructuring", ("tenant_id", "digest")),
        ("unit_succession", ("tenant_id", "predecessor")),
    } <= keys
