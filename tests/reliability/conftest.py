"""The HTTP suite's app client, for the reliability tests."""

from tests.http.conftest import client  # noqa: F401 (a fixture)
