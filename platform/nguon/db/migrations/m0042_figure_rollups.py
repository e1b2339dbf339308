from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T07:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Figure roll-ups: each unit's people's figures kept per year and day, and a version per"
    " unit that every write of its people's records moves (triggers, same transaction)"
)

_COLUMNS = (
    "tenant_id INTEGER NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,"
    " unit INTEGER NOT NULL,"
    " year INTEGER NOT NULL,"
    " as_of DATE NOT NULL,"
    " version INTEGER NOT NULL,"
    " tree VARCHAR(40) NOT NULL,"
    " figures TEXT NOT NULL,"
    " computed_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP"
)
CREATE_TABLE = {
    "postgres": "CREATE TABLE IF NOT EXISTS figure_rollup (id SERIAL PRIMARY KEY, "
    + _COLUMNS
    + ")",
    "sqlite": "CREATE TABLE IF NOT EXISTS figure_rollup (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    + _COLUMNS
    + ")",
}
INDEXES = [
    "CREATE INDEX IF NOT EXISTS figure_rollup_tenant_id ON figure_rollup (tenant_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS figure_rollup_key"
    " ON figure_rollup (tenant_id, unit, year, as_of)",
]
ADD_VERSION = "ALTER TABLE org_unit ADD COLUMN figures_version INTEGER NOT NULL DEFAULT 0"

PEOPLE_RECORDS = (
    "stage_change",
    "helper_assignment",
    "course_enrolment",
    "list_entry",
    "candidate_move",
)
"""Tables of dated records about one person (their ``candidate`` column)."""

_BUMP = "UPDATE org_unit SET figures_version = figures_version + 1 WHERE id IN ({units})"

POSTGRES_FUNCTIONS = [
    # A statement on a person's records: their unit's figures are to be counted again.
    "CREATE OR REPLACE FUNCTION nguon_figures_records_changed() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN "
    + _BUMP.format(
        units="SELECT c.unit FROM candidate c WHERE c.id IN (SELECT candidate FROM changed_rows)"
    )
    + "; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION nguon_figures_people_changed() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN "
    + _BUMP.format(units="SELECT unit FROM changed_rows")
    + "; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION nguon_figures_people_moved() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN "
    + _BUMP.format(units="SELECT unit FROM old_rows UNION SELECT unit FROM new_rows")
    + "; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION nguon_figures_course_changed() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN "
    + _BUMP.format(
        units="SELECT c.unit FROM candidate c JOIN course_enrolment e ON e.candidate = c.id"
        " WHERE e.course IN (SELECT id FROM changed_rows)"
    )
    + "; RETURN NULL; END $$",
]


def _postgres_triggers() -> list[str]:
    statements = []

    def trigger(table: str, event: str, referencing: str, function: str) -> None:
        name = f"figures_{table}_{event.lower()}"
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )

    for table in PEOPLE_RECORDS:
        trigger(table, "INSERT", "NEW TABLE AS changed_rows", "nguon_figures_records_changed")
        trigger(table, "UPDATE", "NEW TABLE AS changed_rows", "nguon_figures_records_changed")
        trigger(table, "DELETE", "OLD TABLE AS changed_rows", "nguon_figures_records_changed")
    trigger("candidate", "INSERT", "NEW TABLE AS changed_rows", "nguon_figures_people_changed")
    trigger(
        "candidate",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "nguon_figures_people_moved",
    )
    trigger("candidate", "DELETE", "OLD TABLE AS changed_rows", "nguon_figures_people_changed")
    trigger("course", "UPDATE", "NEW TABLE AS changed_rows", "nguon_figures_course_changed")
    return statements


def _sqlite_triggers() -> list[str]:
    statements = []

    def trigger(table: str, event: str, units: str) -> None:
        name = f"figures_{table}_{event.lower()}"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
            + _BUMP.format(units=units)
            + "; END"
        )

    for table in PEOPLE_RECORDS:
        trigger(table, "INSERT", "SELECT unit FROM candidate WHERE id = NEW.candidate")
        trigger(
            table,
            "UPDATE",
            "SELECT unit FROM candidate WHERE id IN (OLD.candidate, NEW.candidate)",
        )
        trigger(table, "DELETE", "SELECT unit FROM candidate WHERE id = OLD.candidate")
    trigger("candidate", "INSERT", "NEW.unit")
    trigger("candidate", "UPDATE", "OLD.unit, NEW.unit")
    trigger("candidate", "DELETE", "OLD.unit")
    trigger(
        "course",
        "UPDATE",
        "SELECT c.unit FROM candidate c JOIN course_enrolment e ON e.candidate = c.id"
        " WHERE e.course = NEW.id",
    )
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        engine = "postgres" if Migration._meta.db.engine_type == "postgres" else "sqlite"
        await Migration.raw(CREATE_TABLE[engine]).run()
        for statement in INDEXES:
            await Migration.raw(statement).run()
        await Migration.raw(ADD_VERSION).run()
        if engine == "postgres":
            statements = POSTGRES_FUNCTIONS + _postgres_triggers()
        else:
            statements = _sqlite_triggers()
        for statement in statements:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
