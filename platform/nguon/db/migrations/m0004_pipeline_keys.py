from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T00:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Pipeline natural keys: one list per unit, step and period; one decision row each"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS candidate_list_unit_step_period"
    " ON candidate_list (tenant_id, unit, step, period_code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS list_entry_list_candidate"
    " ON list_entry (candidate_list, candidate)",
    "CREATE UNIQUE INDEX IF NOT EXISTS candidate_decision_candidate_decision"
    " ON candidate_decision (candidate, decision)",
    "CREATE UNIQUE INDEX IF NOT EXISTS course_enrolment_course_candidate"
    " ON course_enrolment (course, candidate)",
    "CREATE UNIQUE INDEX IF NOT EXISTS admission_plan_unit_year"
    " ON admission_plan (tenant_id, unit, year)",
    "CREATE INDEX IF NOT EXISTS candidate_list_receiver"
    " ON candidate_list (tenant_id, receiver_unit, state)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    async def run():
        from piccolo.apps.migrations.tables import Migration

        for statement in STATEMENTS:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
