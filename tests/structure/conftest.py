"""Structure tests drive the API with the HTTP suite's app client."""

from tests.http.conftest import client  # noqa: F401 (the client fixture is shared)
