"""The web application: ``uvicorn --factory nguon.app:create_app``."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.template.config import TemplateConfig
from piccolo.engine.base import Engine

from nguon.accounts.admin import administers
from nguon.accounts.routes import LOGIN_ATTEMPTS_STORE
from nguon.accounts.tokens import TokenSigner
from nguon.api.csrf_renewal import StaleCsrfCookie
from nguon.api.edge import EdgeLimits
from nguon.api.error_docs import document_error_responses
from nguon.api.errors import CSRF_COOKIE, EXCEPTION_HANDLERS
from nguon.api.health import health
from nguon.api.logs import logging_config
from nguon.api.openapi_docs import complete_openapi
from nguon.api.problem_pages import PROBLEM_PAGES
from nguon.api.proxies import trusted_proxy_middleware
from nguon.api.router import CSRF_EXEMPT_PATTERN, tenant_router
from nguon.api.security_headers import SecurityHeaders
from nguon.api.sessions import DropEmptySessionMiddleware, session_config
from nguon.api.tenant import TenantCache, TenantFromPathMiddleware
from nguon.api.versions import V2OpenAPIJson
from nguon.crypto import derive_key
from nguon.db.binding import bind_engine
from nguon.db.engine import is_postgres, make_engine
from nguon.db.kv_store import shared_store
from nguon.observability.metrics import MetricsAccess, metrics, prometheus_config
from nguon.observability.request_id import RequestIds, install_log_record_factory
from nguon.pipeline.outbox import EventRelay
from nguon.plugins import get_plugin_manager
from nguon.portal.jobs import JOBS_STORE
from nguon.portal.list_people import PeopleHtml
from nguon.portal.rendered import BoundedCache, SingleFlight
from nguon.portal.rules_versions import board_member
from nguon.portal.table_cells import figure_cells, form_table_body, listed_cells
from nguon.settings import Settings, load_settings

PORTAL = Path(__file__).parent / "portal"

logger = logging.getLogger("nguon.app")


def session_store(settings: Settings) -> Store:
    """Redis when configured, else the database: every server process shares sessions."""
    return shared_store(settings.redis_url, "nguon_sessions")


def shared_stores(settings: Settings) -> dict[str, Store]:
    return {
        "sessions": session_store(settings),
        LOGIN_ATTEMPTS_STORE: shared_store(settings.redis_url, "nguon_login"),
        JOBS_STORE: shared_store(settings.redis_url, "nguon_jobs"),
    }


def register_plugin_routes() -> list[Any]:
    return [
        handler for handlers in get_plugin_manager().hook.register_routes() for handler in handlers
    ]


def prepare_config(app_config: AppConfig) -> AppConfig:
    get_plugin_manager().hook.prepare_app_config(app_config=app_config)
    return app_config


def template_engine(debug: bool) -> JinjaTemplateEngine:
    """The portal's templates; re-read from disk on change only while developing."""
    environment = Environment(
        loader=FileSystemLoader(PORTAL / "templates"),
        autoescape=True,
        auto_reload=debug,
        # Block tags leave no blank lines or indentation behind: smaller pages.
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # What the layout asks of every signed-in user, in Python (a province's user holds
    # hundreds of grants: the units taken over), and the dashboard's hundreds of figures.
    environment.globals.update(
        administers=administers,
        board_member=board_member,
        figure_cells=figure_cells,
        listed_cells=listed_cells,
        form_table_body=form_table_body,
    )
    return JinjaTemplateEngine.from_environment(environment)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    secure_cookies: bool | None = None,
) -> Litestar:
    """Build the app.

    ``engine``: an engine the caller has already set up (tests); the app binds it but
    leaves its pool alone. Without it the app makes one from ``settings.database_url``
    and starts/stops the Postgres pool itself. ``secure_cookies`` defaults to on unless
    ``settings.debug`` (plain-http development on localhost).
    """
    settings = settings or load_settings()
    owns_engine = engine is None
    app_engine = engine or make_engine(settings.database_url)
    secure = (not settings.debug) if secure_cookies is None else secure_cookies
    relay = EventRelay(settings.event_relay_seconds)

    async def on_startup() -> None:
        bind_engine(app_engine)
        if owns_engine and is_postgres(app_engine):
            await app_engine.start_connection_pool()
        if owns_engine:
            # A serving process: what exists now lives as long as the process, so the
            # collector stops walking it (a full collection paused every request ~80 ms).
            gc.collect()
            gc.freeze()
            if not is_postgres(app_engine):
                # Events a crash left undispatched; on Postgres a worker's job does it.
                relay.start()
        logger.info("started", extra={"engine": app_engine.engine_type})

    async def on_shutdown() -> None:
        await relay.stop()
        if owns_engine and is_postgres(app_engine):
            await app_engine.close_connection_pool()

    sessions = session_config(secure)
    csrf = CSRFConfig(
        secret=derive_key("csrf", settings.secret_key).hex(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=secure,
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=[CSRF_EXEMPT_PATTERN, "^/health$", "^/schema", "^/static/"],
    )
    app = Litestar(
        route_handlers=[
            health,
            tenant_router(),
            create_static_files_router(path="/static", directories=[PORTAL / "static"]),
            *register_plugin_routes(),
            *PROBLEM_PAGES,
            metrics,
        ],
        on_app_init=[prepare_config],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        middleware=[
            prometheus_config().middleware,
            *trusted_proxy_middleware(settings.trusted_proxies),
            EdgeLimits(),
            DefineMiddleware(StaleCsrfCookie, cookie_name=csrf.cookie_name, secret=csrf.secret),
            TenantFromPathMiddleware,
            sessions.middleware,
            DropEmptySessionMiddleware,
        ],
        before_send=[SecurityHeaders(PORTAL / "templates")],
        csrf_config=csrf,
        stores=shared_stores(settings),
        template_config=TemplateConfig(instance=template_engine(settings.debug)),
        openapi_config=OpenAPIConfig(
            title="Nguồn API",
            version="1",
            description="Tenant-scoped JSON API: units, candidates, members.",
            path="/schema",
            render_plugins=[V2OpenAPIJson()],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(settings.debug),
        state=State(
            {
                "tenant_cache": TenantCache(),
                "token_signer": TokenSigner(settings.secret_key, settings.previous_secret_key),
                "rendered_pages": BoundedCache[str](settings.rendered_pages),
                "rendered_people": BoundedCache[PeopleHtml](settings.rendered_people),
                "rendering": SingleFlight(),
                "metrics_access": MetricsAccess(settings.metrics_token, settings.metrics_allow),
                "cursor_key": derive_key("cursor", settings.secret_key),
            }
        ),
        debug=settings.debug,
    )
    document_error_responses(app)
    complete_openapi(app)
    install_log_record_factory()
    app.asgi_handler = RequestIds(app.asgi_handler, settings.trusted_proxies, settings.access_log)
    return app
