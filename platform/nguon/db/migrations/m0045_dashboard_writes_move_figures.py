from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "A list written (made, its state or period changed, removed) and a step of a person's"
    " admission road written move the unit's figures version: the versions of a subtree's"
    " units then say when anything its dashboard shows changed, and a process keeps the"
    " figures under them"
)

STATE_COLUMNS = ("unit", "step", "period_code", "state")
"""What of a list the submissions figures read."""
_BUMP = "UPDATE org_unit SET figures_version = figures_version + 1 WHERE id IN ({units})"

POSTGRES = [
    "CREATE OR REPLACE FUNCTION nguon_figures_lists_changed() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN "
    + _BUMP.format(units="SELECT unit FROM old_rows UNION SELECT unit FROM new_rows")
    + "; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION nguon_figures_lists_made() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN "
    + _BUMP.format(units="SELECT unit FROM changed_rows")
    + "; RETURN NULL; END $$",
]
_RECORDS = "nguon_figures_records_changed"
"""m0042's function: the units of the people of the rows written."""
for _table, _event, _referencing, _function in (
    ("candidate_list", "INSERT", "NEW TABLE AS changed_rows", "nguon_figures_lists_made"),
    ("candidate_list", "DELETE", "OLD TABLE AS changed_rows", "nguon_figures_lists_made"),
    # Postgres allows no column list on a trigger with transition tables: every update of
    # a list moves the version (its states change with its version column anyway).
    (
        "candidate_list",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "nguon_figures_lists_changed",
    ),
    # A person's admission road (the dashboard's deadlines), as the records of m0042.
    ("admission_step", "INSERT", "NEW TABLE AS changed_rows", _RECORDS),
    ("admission_step", "UPDATE", "NEW TABLE AS changed_rows", _RECORDS),
    ("admission_step", "DELETE", "OLD TABLE AS changed_rows", _RECORDS),
):
    _name = f"figures_{_table}_{_event.lower()}"
    POSTGRES += [
        f"DROP TRIGGER IF EXISTS {_name} ON {_table}",
        f"CREATE TRIGGER {_name} AFTER {_event} ON {_table} REFERENCING {_referencing}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {_function}()",
    ]

_PERSONS_UNIT = "SELECT unit FROM candidate WHERE id"
SQLITE = []
for _table, _event, _units in (
    ("candidate_list", "INSERT", "NEW.unit"),
    ("candidate_list", "DELETE", "OLD.unit"),
    ("candidate_list", f"UPDATE OF {', '.join(STATE_COLUMNS)}", "OLD.unit, NEW.unit"),
    ("admission_step", "INSERT", f"{_PERSONS_UNIT} = NEW.candidate"),
    ("admission_step", "UPDATE", f"{_PERSONS_UNIT} IN (OLD.candidate, NEW.candidate)"),
    ("admission_step", "DELETE", f"{_PERSONS_UNIT} = OLD.candidate"),
):
    _name = f"figures_{_table}_{_event.split()[0].lower()}"
    SQLITE += [
        f"DROP TRIGGER IF EXISTS {_name}",
        f"CREATE TRIGGER {_name} AFTER {_event} ON {_table} BEGIN "
        + _BUMP.format(units=_units)
        + "; END",
    ]

async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        postgres = Migration._meta.db.engine_type == "postgres"
        for statement in POSTGRES if postgres else SQLITE:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
