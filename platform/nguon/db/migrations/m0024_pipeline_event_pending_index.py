from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T10:34:18:997834"
VERSION = "1.38.0"
DESCRIPTION = "The pipeline event outbox: an index of the events not dispatched yet"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS pipeline_event_pending"
    " ON pipeline_event (tenant_id, id) WHERE dispatched_at IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        for statement in STATEMENTS:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
