from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T10:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Uploaded sheets say what they import: Party members or surveyed candidates"

ADD_KIND = "ALTER TABLE member_upload ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'members'"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        await Migration.raw(ADD_KIND).run()

    manager.add_raw(run)
    return manager
