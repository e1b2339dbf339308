from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T14:11:04:367317"
VERSION = "1.38.0"
DESCRIPTION = "Secret-key rotation: the key each national ID is stored under; sign-in indexes"

STATEMENTS = [
    "ALTER TABLE candidate ADD COLUMN national_id_key VARCHAR(16) NULL",
    "CREATE INDEX IF NOT EXISTS candidate_national_id_key"
    " ON candidate (tenant_id, national_id_key, id) WHERE national_id_encrypted IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS sign_in_by_user ON sign_in (tenant_id, user_id, at)",
    "CREATE INDEX IF NOT EXISTS sign_in_by_time ON sign_in (tenant_id, at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        for statement in STATEMENTS:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
