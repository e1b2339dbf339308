from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Large list exports as jobs: the file made for the user who asked, per tenant"

_COLUMNS = (
    "tenant_id INTEGER NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,"
    " list_id INTEGER NOT NULL,"
    " user_id INTEGER NOT NULL,"
    " format VARCHAR(16) NOT NULL,"
    " number VARCHAR(20) NOT NULL DEFAULT '',"
    " signer VARCHAR(120) NOT NULL DEFAULT '',"
    " job_id VARCHAR(40) NOT NULL,"
    " state VARCHAR(16) NOT NULL DEFAULT 'queued',"
    " filename VARCHAR(255) NOT NULL DEFAULT '',"
    " media_type VARCHAR(120) NOT NULL DEFAULT '',"
    " content {blob} NULL,"
    " requested_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP"
)
CREATE_TABLE = {
    "postgres": "CREATE TABLE IF NOT EXISTS list_export (id SERIAL PRIMARY KEY, "
    + _COLUMNS.format(blob="BYTEA")
    + ")",
    "sqlite": "CREATE TABLE IF NOT EXISTS list_export (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    + _COLUMNS.format(blob="BLOB")
    + ")",
}
INDEXES = [
    "CREATE INDEX IF NOT EXISTS list_export_tenant_id ON list_export (tenant_id)",
    "CREATE INDEX IF NOT EXISTS list_export_job ON list_export (tenant_id, job_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        engine = "postgres" if Migration._meta.db.engine_type == "postgres" else "sqlite"
        await Migration.raw(CREATE_TABLE[engine]).run()
        for statement in INDEXES:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
