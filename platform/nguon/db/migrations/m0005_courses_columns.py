from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Courses: sessions per course, enrolment versions, why a helper ended;"
    " certificate numbers unique per tenant"
)

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS course_enrolment_tenant_certificate"
    " ON course_enrolment (tenant_id, certificate_number)",
    "CREATE INDEX IF NOT EXISTS helper_assignment_tenant_member"
    " ON helper_assignment (tenant_id, member)",
    "CREATE INDEX IF NOT EXISTS stage_change_tenant_to_stage_on"
    " ON stage_change (tenant_id, to_stage, changed_on)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Course",
        tablename="course",
        column_name="sessions_total",
        db_column_name="sessions_total",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
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

    manager.add_column(
        table_class_name="CourseEnrolment",
        tablename="course_enrolment",
        column_name="version",
        db_column_name="version",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 1,
            "null": False,
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

    manager.add_column(
        table_class_name="HelperAssignment",
        tablename="helper_assignment",
        column_name="end_reason",
        db_column_name="end_reason",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
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

    async def run():
        from piccolo.apps.migrations.tables import Migration

        for statement in STATEMENTS:
            await Migration.raw(statement).run()

    manager.add_raw(run)
    return manager
