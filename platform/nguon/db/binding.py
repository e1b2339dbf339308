"""Which engine the tables talk to, switchable at run time (CLI, tests, server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine

os.environ.setdefault("PICCOLO_CONF", "nguon.piccolo_conf")


def bind_engine(engine: Engine) -> Engine:
    from nguon import piccolo_conf
    from nguon.piccolo_app import TABLES

    piccolo_conf.DB = engine
    for table in [*TABLES, Migration]:
        table._meta.db = engine
    return engine


def current_engine() -> Engine:
    from nguon import piccolo_conf

    return piccolo_conf.DB


@contextmanager
def using_engine(engine: Engine) -> Iterator[Engine]:
    """Bind ``engine`` for the duration of a block (operator commands run as the owner)."""
    previous = current_engine()
    bind_engine(engine)
    try:
        yield engine
    finally:
        bind_engine(previous)
