from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T07:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Restructuring: one application per tenant and file, one successor per closed unit"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS restructuring_tenant_digest"
    " ON restructuring (tenant_id, digest)",
    "CREATE UNIQUE INDEX IF NOT EXISTS unit_succession_one_successor"
    " ON unit_succession (tenant_id, predecessor)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        for statement in STATEMENTS:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
