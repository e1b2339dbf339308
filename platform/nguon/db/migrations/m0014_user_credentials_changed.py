from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Users: when the password last changed (older sessions and tokens are void)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)
    manager.add_column(
        table_class_name="User",
        tablename="app_user",
        column_name="credentials_changed_at",
        db_column_name="credentials_changed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
