"""The API tests use the HTTP suite's app client (sqlite and Postgres)."""

from tests.http.conftest import client  # noqa: F401 (the fixture is shared)
