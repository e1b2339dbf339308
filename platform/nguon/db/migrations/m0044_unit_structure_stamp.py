from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "A stamp the database moves whenever the tree changes (a unit added, removed or changed "
    "other than its figures version; a succession), so each process keeps the tree under it"
)

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS unit_structure "
    "(id INTEGER PRIMARY KEY, version BIGINT NOT NULL DEFAULT 0)"
)
FIRST_ROW = "INSERT INTO unit_structure (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING"
STRUCTURE_COLUMNS = (
    "tenant_id",
    "code",
    "name",
    "kind",
    "bloc",
    "parent",
    "path",
    "depth",
    "valid_from",
    "valid_to",
)
"""Every column of ``org_unit`` but its id and ``figures_version``."""
_BUMP = "UPDATE unit_structure SET version = version + 1 WHERE id = 1"

POSTGRES = [
    "CREATE OR REPLACE FUNCTION nguon_unit_structure_changed() RETURNS trigger"
    f" LANGUAGE plpgsql AS $$ BEGIN {_BUMP}; RETURN NULL; END $$",
]
_COLUMNS = ", ".join(STRUCTURE_COLUMNS)
for _table, _event in (
    ("org_unit", "INSERT"),
    ("org_unit", "DELETE"),
    ("org_unit", f"UPDATE OF {_COLUMNS}"),
    ("unit_succession", "INSERT"),
    ("unit_succession", "DELETE"),
    ("unit_succession", "UPDATE"),
):
    _name = f"structure_{_table}_{_event.split()[0].lower()}"
    POSTGRES += [
        f"DROP TRIGGER IF EXISTS {_name} ON {_table}",
        f"CREATE TRIGGER {_name} AFTER {_event} ON {_table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION nguon_unit_structure_changed()",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        await Migration.raw(CREATE_TABLE).run()
        await Migration.raw(FIRST_ROW).run()
        if Migration._meta.db.engine_type == "postgres":
            # SQLite keeps no tree between views: it needs no stamp moved.
            for statement in POSTGRES:
                await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
