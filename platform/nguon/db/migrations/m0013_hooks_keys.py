from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T01:40:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Plugins: one settings row per tenant and plugin, one reminder per unit/period/kind"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS tenant_plugin_tenant_name ON tenant_plugin (tenant_id, name)",
    "CREATE UNIQUE INDEX IF NOT EXISTS deadline_reminder_unit_period_kind"
    " ON deadline_reminder (tenant_id, unit, period_code, kind)",
    "CREATE INDEX IF NOT EXISTS webhook_delivery_due"
    " ON webhook_delivery (tenant_id, status, next_attempt_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        for statement in STATEMENTS:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
