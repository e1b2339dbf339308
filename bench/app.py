"""The app as deployed plus one trivial endpoint: the baseline served by the same process."""

from __future__ import annotations

from litestar import Litestar, get

from nguon.app import create_app


@get("/bench/trivial", sync_to_thread=False)
def trivial() -> dict[str, str]:
    return {"status": "ok"}


def create_bench_app() -> Litestar:
    # Plain http on localhost: the cookies go without the Secure flag, nothing else changes.
    app = create_app(secure_cookies=False)
    app.register(trivial)
    return app
