from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T14:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The admission road: steps with their dates and documents, and the introducers"

# {serial} and {stamp} differ between the engines; everything else is common SQL.
TABLES = [
    """CREATE TABLE IF NOT EXISTS admission_step (
        id {serial},
        tenant_id INTEGER NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,
        candidate INTEGER NOT NULL REFERENCES candidate (id)
            ON DELETE RESTRICT ON UPDATE CASCADE,
        step VARCHAR(40) NOT NULL DEFAULT '',
        taken_on DATE NOT NULL,
        document_number VARCHAR(80) NOT NULL DEFAULT '',
        working_days INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        clause_id VARCHAR(80) NOT NULL DEFAULT '',
        actor_id INTEGER,
        actor VARCHAR(200) NOT NULL DEFAULT '',
        created_at {stamp} NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS admission_introducer (
        id {serial},
        tenant_id INTEGER NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,
        candidate INTEGER NOT NULL REFERENCES candidate (id)
            ON DELETE RESTRICT ON UPDATE CASCADE,
        kind VARCHAR(20) NOT NULL DEFAULT '',
        member INTEGER REFERENCES party_member (id) ON DELETE RESTRICT ON UPDATE CASCADE,
        member_status VARCHAR(20) NOT NULL DEFAULT '',
        months_together INTEGER NOT NULL DEFAULT 0,
        document_number VARCHAR(80) NOT NULL DEFAULT '',
        workplace_has_youth_union BOOLEAN NOT NULL DEFAULT TRUE,
        recorded_on DATE NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS admission_step_one_each"
    " ON admission_step (tenant_id, candidate, step)",
    "CREATE INDEX IF NOT EXISTS admission_step_tenant_id ON admission_step (tenant_id)",
    "CREATE INDEX IF NOT EXISTS admission_step_candidate ON admission_step (candidate)",
    "CREATE INDEX IF NOT EXISTS admission_introducer_tenant_id"
    " ON admission_introducer (tenant_id)",
    "CREATE INDEX IF NOT EXISTS admission_introducer_candidate"
    " ON admission_introducer (candidate)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        postgres = Migration._meta.db.engine_type == "postgres"
        serial = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY"
        stamp = "TIMESTAMPTZ"
        for statement in TABLES:
            await Migration.raw(statement.format(serial=serial, stamp=stamp)).run()

    manager.add_raw(run)
    return manager
