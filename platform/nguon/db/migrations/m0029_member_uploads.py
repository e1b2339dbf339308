from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T07:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Member imports as jobs: the uploaded sheets, per tenant, with their digest and result"

_COLUMNS = (
    "tenant_id INTEGER NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,"
    " unit_id INTEGER NOT NULL,"
    " user_id INTEGER NOT NULL,"
    " filename VARCHAR(255) NOT NULL,"
    " digest VARCHAR(64) NOT NULL,"
    " content {blob} NOT NULL,"
    " job_id VARCHAR(40) NOT NULL,"
    " state VARCHAR(16) NOT NULL DEFAULT 'queued',"
    " created INTEGER NULL,"
    " problems TEXT NOT NULL DEFAULT '[]',"
    " uploaded_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP"
)
CREATE_TABLE = {
    "postgres": "CREATE TABLE IF NOT EXISTS member_upload (id SERIAL PRIMARY KEY, "
    + _COLUMNS.format(blob="BYTEA")
    + ")",
    "sqlite": "CREATE TABLE IF NOT EXISTS member_upload (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    + _COLUMNS.format(blob="BLOB")
    + ")",
}
INDEXES = [
    "CREATE INDEX IF NOT EXISTS member_upload_tenant_id ON member_upload (tenant_id)",
    "CREATE INDEX IF NOT EXISTS member_upload_digest ON member_upload (tenant_id, unit_id, digest)",
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
