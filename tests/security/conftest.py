"""The HTTP suite's app client, and the app behind a trusted reverse proxy."""

from collections.abc import AsyncIterator

import msgspec
import pytest

from nguon.app import create_app
from tests.conftest import Database
from tests.http.conftest import (
    AppClient,
    app_settings,
    client,  # noqa: F401 (a fixture)
    started,
)


@pytest.fixture
async def proxied(db: Database) -> AsyncIterator[AppClient]:
    """The app behind a reverse proxy on 127.0.0.1 (the test transport's peer address)."""
    settings = msgspec.structs.replace(app_settings(), trusted_proxies=("127.0.0.0/8",))
    app = create_app(settings, engine=db.app)
    async with started(app) as test_client:
        yield test_client
