from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Tenant(Table, tablename="tenant", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-02T14:10:48:034196"
VERSION = "1.38.0"
DESCRIPTION = "User administration: one-time passwords to change, and the sign-in log"


def _params(**overrides):
    params = {
        "default": None,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(overrides)
    return params


SIGN_IN_COLUMNS = [
    (
        "tenant_id",
        ForeignKey,
        _params(
            references=Tenant,
            on_delete=OnDelete.restrict,
            on_update=OnUpdate.cascade,
            target_column=None,
            index=True,
        ),
    ),
    ("at", Timestamptz, _params(default=TimestamptzNow())),
    ("user_id", Integer, _params(null=True)),
    ("username", Varchar, _params(default="", length=64)),
    ("address", Varchar, _params(default="", length=64)),
    ("channel", Varchar, _params(default="", length=16)),
    ("result", Varchar, _params(default="", length=16)),
]

async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="nguon", description=DESCRIPTION)
    manager.add_column(
        table_class_name="User",
        tablename="app_user",
        column_name="must_change_password",
        db_column_name="must_change_password",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(default=False),
        schema=None,
    )
    manager.add_table(class_name="SignIn", tablename="sign_in", schema=None, columns=None)
    for name, column_class, params in SIGN_IN_COLUMNS:
        manager.add_column(
            table_class_name="SignIn",
            tablename="sign_in",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    return manager
