from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Rules versions: draft versions a tenant published, and what-if reports"

_TENANT = "tenant_id INTEGER NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,"
_PUBLICATION = (
    f"{_TENANT}"
    " package VARCHAR(64) NOT NULL,"
    " version VARCHAR(64) NOT NULL,"
    " effective_from DATE NOT NULL,"
    " published_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    " published_by VARCHAR(200) NOT NULL"
)
_WHATIF = (
    f"{_TENANT}"
    " job_id VARCHAR(64) NOT NULL,"
    " package VARCHAR(64) NOT NULL,"
    " version VARCHAR(64) NOT NULL,"
    " on_date DATE NOT NULL,"
    " state VARCHAR(16) NOT NULL DEFAULT 'queued',"
    " report TEXT NOT NULL DEFAULT '',"
    " started_by VARCHAR(200) NOT NULL,"
    " created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP"
)
_KEY = {"postgres": "id SERIAL PRIMARY KEY", "sqlite": "id INTEGER PRIMARY KEY AUTOINCREMENT"}
INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS rules_publication_version"
    " ON rules_publication (tenant_id, package, version)",
    "CREATE INDEX IF NOT EXISTS rules_publication_tenant_id ON rules_publication (tenant_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS rules_whatif_job ON rules_whatif (tenant_id, job_id)",
    "CREATE INDEX IF NOT EXISTS rules_whatif_tenant_id ON rules_whatif (tenant_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        engine = "postgres" if Migration._meta.db.engine_type == "postgres" else "sqlite"
        key = _KEY[engine]
        await Migration.raw(
            f"CREATE TABLE IF NOT EXISTS rules_publication ({key}, {_PUBLICATION})"
        ).run()
        await Migration.raw(f"CREATE TABLE IF NOT EXISTS rules_whatif ({key}, {_WHATIF})").run()
        for statement in INDEXES:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
