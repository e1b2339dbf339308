from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Natural keys unique within a tenant"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS org_unit_tenant_code ON org_unit (tenant_id, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS app_user_tenant_username ON app_user (tenant_id, username)",
    "CREATE UNIQUE INDEX IF NOT EXISTS candidate_tenant_national_id"
    " ON candidate (tenant_id, national_id_hash)",
    "CREATE INDEX IF NOT EXISTS membership_tenant_user ON membership (tenant_id, \"user\")",
    "CREATE INDEX IF NOT EXISTS audit_event_tenant_entity"
    " ON audit_event (tenant_id, entity_type, entity_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        for statement in STATEMENTS:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
