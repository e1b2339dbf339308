from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T14:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Postgres: the job queue (procrastinate's schema) in the app's own database"

# Procrastinate's tables have no tenant_id: they are not tenant tables and get no RLS.
# Every job carries its tenant in its arguments and the task sets it before any query;
# the app role gets its rights on them with every other table (``apply_security``).


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration
        from procrastinate.schema import SchemaManager

        engine = Migration._meta.db
        if engine.engine_type != "postgres":
            return
        installed = await Migration.raw(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        ).run()
        if installed[0]["present"]:
            return
        transaction = engine.current_transaction.get()
        connection = transaction.connection if transaction else await engine.get_new_connection()
        try:
            # One script of many statements: asyncpg's simple-query path runs it whole.
            await connection.execute(SchemaManager.get_schema())
        finally:
            if transaction is None:
                await connection.close()

    manager.add_raw(run)
    return manager
