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
for _event, _referencing, _function in (
    ("INSERT", "NEW TABLE AS changed_rows", "nguon_figures_lists_made"),
    ("DELETE", "OLD TABLE AS changed_rows", "nguon_figures_lists_made"),
    # Postgres allows no column list on a trigger with transition tables: every update of
    # a list moves the version (its states change with its version column anyway).
    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "nguon_figures_lists_changed"),
):
    _name = f"figures_candidate_list_{_event.lower()}"
    POSTGRES += [
        f"DROP TRIGGER IF EXISTS {_name} ON candidate_list",
        f"CREATE TRIGGER {_name} AFTER {_event} ON candidate_list REFERENCING {_referencing}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {_function}()",
    ]

# A person's admission road (the dashboard's deadlines), as the records of m0042.
for _event, _referencing in (
    ("INSERT", "NEW TABLE AS changed_rows"),
    ("UPDATE", "NEW TABLE AS changed_rows"),
    ("DELETE", "OLD TABLE AS changed_rows"),
):
    _name = f"figures_admission_step_{_event.lower()}"
    POSTGRES += [
        f"DROP TRIGGER IF EXISTS {_name} ON admission_step",
        f"CREATE TRIGGER {_name} AFTER {_event} ON admission_step REFERENCING {_referencing}"
        " FOR EACH STATEMENT EXECUTE FUNCTION nguon_figures_records_changed()",
    ]

SQLITE = []
for _event, _units in (
    ("INSERT", "NEW.unit"),
    ("DELETE", "OLD.unit"),
    (f"UPDATE OF {', '.join(STATE_COLUMNS)}", "OLD.unit, NEW.unit"),
):
    _name = f"figures_candidate_list_{_event.split()[0].lower()}"
    SQLITE += [
        f"DROP TRIGGER IF EXISTS {_name}",
        f"CREATE TRIGGER {_name} AFTER {_event} ON candidate_list BEGIN "
        + _BUMP.format(units=_units)
        + "; END",
    ]
for _event, _units in (
    ("INSERT", "SELECT unit FROM candidate WHERE id = NEW.candidate"),
    ("UPDATE", "SELECT unit FROM candidate WHERE id IN (OLD.candidate, NEW.candidate)"),
    ("DELETE", "SELECT unit FROM candidate WHERE id = OLD.candidate"),
):
    _name = f"figures_admission_step_{_event.lower()}"
    SQLITE += [
        f"DROP TRIGGER IF EXISTS {_name}",
        f"CREATE TRIGGER {_name} AFTER {_event} ON admission_step BEGIN "
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
