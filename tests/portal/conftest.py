"""The HTTP suite's app client, for the portal tests."""

from tests.http.conftest import client

__all__ = ["client"]
