from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T00:59:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Postgres: subtree (path prefix) and name-contains indexes for lists and search"

# A btree index serves LIKE 'prefix%' only with the pattern operator class; a trigram
# GIN index serves LIKE '%part%'. SQLite keeps the plain indexes of the tables.
PATH_INDEXES = [
    ("org_unit", "path"),
    ("candidate", "unit_path"),
    ("party_member", "unit_path"),
    ("candidate_list", "unit_path"),
    ("course", "organiser_path"),
    ("admission_plan", "unit_path"),
]
TRIGRAM_INDEXES = [("candidate", "name_search"), ("party_member", "name_search")]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        if Migration._meta.db.engine_type != "postgres":
            return
        for table, column in PATH_INDEXES:
            await Migration.raw(
                f"CREATE INDEX IF NOT EXISTS {table}_tenant_{column}_prefix"
                f" ON {table} (tenant_id, {column} varchar_pattern_ops)"
            ).run()
        await Migration.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm").run()
        for table, column in TRIGRAM_INDEXES:
            await Migration.raw(
                f"CREATE INDEX IF NOT EXISTS {table}_{column}_trigram"
                f" ON {table} USING gin ({column} gin_trgm_ops)"
            ).run()
        await Migration.raw("ANALYZE").run()

    manager.add_raw(run)
    return manager
