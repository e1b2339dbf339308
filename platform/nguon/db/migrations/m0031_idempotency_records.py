from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T14:18:46:186060"
VERSION = "1.38.0"
DESCRIPTION = "Idempotency-Key: the answers kept for retried POSTs, per tenant, user and key"

_COLUMNS = (
    "tenant_id INTEGER NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,"
    " user_id INTEGER NOT NULL,"
    " idempotency_key VARCHAR(255) NOT NULL,"
    " method VARCHAR(8) NOT NULL,"
    " path VARCHAR(500) NOT NULL,"
    " fingerprint VARCHAR(64) NOT NULL,"
    " status INTEGER NULL,"
    " content_type VARCHAR(100) NOT NULL DEFAULT '',"
    " response_headers TEXT NOT NULL DEFAULT '{}',"
    " response_body TEXT NOT NULL DEFAULT '',"
    " created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    " expires_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP"
)
CREATE_TABLE = {
    "postgres": f"CREATE TABLE IF NOT EXISTS idempotency_record (id SERIAL PRIMARY KEY, {_COLUMNS})",
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS idempotency_record"
        f" (id INTEGER PRIMARY KEY AUTOINCREMENT, {_COLUMNS})"
    ),
}
INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS idempotency_record_key"
    " ON idempotency_record (tenant_id, user_id, idempotency_key)",
    "CREATE INDEX IF NOT EXISTS idempotency_record_tenant_id ON idempotency_record (tenant_id)",
    "CREATE INDEX IF NOT EXISTS idempotency_record_expiry"
    " ON idempotency_record (tenant_id, expires_at)",
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
