"""The HTTP client fixture, for setting up data through the API."""

from tests.http.conftest import client

__all__ = ["client"]
