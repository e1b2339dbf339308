"""Helpers for onboarding tests: manifests under fresh slugs, whole-database row counts."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import asyncpg
import msgspec

from nguon.db.engine import postgres_config
from nguon.piccolo_app import TABLES
from nguon.tenancy.manifest import Manifest, load_manifest
from nguon.tenancy.onboarding import OnboardingReport, onboard
from tests.conftest import ADMIN_URL, TEST_DATABASE, Database

REPO = Path(__file__).resolve().parents[2]
TENANTS = REPO / "tenants"
FIXTURES = Path(__file__).parent / "fixtures"
_counter = itertools.count(1)


def fresh_slug(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


def manifest_as(name: str, slug: str) -> Manifest:
    """A manifest from ``tenants/`` under a slug of its own (the test database is shared)."""
    return msgspec.structs.replace(load_manifest(TENANTS / name), slug=slug)


async def onboard_as_owner(db: Database, manifest: Manifest) -> OnboardingReport:
    with db.as_owner():
        return await onboard(manifest)


async def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table, across all tenants (a superuser on Postgres, so RLS hides none)."""
    names = [table._meta.tablename for table in TABLES]
    if db.kind == "sqlite":
        with db.as_owner():
            return {t._meta.tablename: await t.count().run() for t in TABLES}
    config = postgres_config(ADMIN_URL)
    config["database"] = TEST_DATABASE
    connection = await asyncpg.connect(**config)
    try:
        return {name: await connection.fetchval(f"SELECT count(*) FROM {name}") for name in names}
    finally:
        await connection.close()
