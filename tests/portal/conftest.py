"""The HTTP suite's app clients, for the portal tests."""

from tests.http.conftest import client, pg_client

__all__ = ["client", "pg_client"]
