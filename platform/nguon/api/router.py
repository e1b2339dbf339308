"""Everything under ``/t/{tenant}/``: the versioned JSON API and the portal pages."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.di import Provide

from nguon.accounts.routes import (
    issue_token,
    login_page,
    login_submit,
    logout,
    password_page,
    password_submit,
)
from nguon.api.auth import api_access, portal_access
from nguon.api.etags import ETagMiddleware
from nguon.api.http_semantics import declare_http_semantics
from nguon.api.idempotency import IdempotencyMiddleware
from nguon.api.pagination import PaginationMiddleware, query_page
from nguon.api.tenant import TenantMiddleware
from nguon.org.routes import UnitController
from nguon.people.routes import CandidateController, MemberController
from nguon.pipeline.course_routes import CertificateController, CourseController
from nguon.pipeline.helper_routes import AdmissionController, HelperController
from nguon.pipeline.plan_routes import PlanController
from nguon.pipeline.routes import ROUTE_HANDLERS as PIPELINE_HANDLERS
from nguon.plugin_admin.routes import PluginAdminController
from nguon.plugins_builtin.webhooks.routes import (
    redeliver_webhook,
    send_webhook_test,
    webhook_deliveries,
)
from nguon.portal.candidates import (
    candidate_page,
    edit_candidate_page,
    edit_candidate_submit,
    new_candidate_page,
    new_candidate_submit,
)
from nguon.portal.courses import ROUTES as COURSE_PAGES
from nguon.portal.helpers import ROUTES as HELPER_PAGES
from nguon.portal.lists import ROUTES as LIST_PAGES
from nguon.portal.members import ROUTES as MEMBER_PAGES
from nguon.portal.plans import ROUTES as PLAN_PAGES
from nguon.portal.routes import dashboard, home, job_page, reevaluate, unit_page

API_PREFIX = "/api/v1"
TENANT_PREFIX = "/t/{tenant:str}"
# The JSON API authenticates with bearer tokens, never cookies, so it needs no CSRF token.
CSRF_EXEMPT_PATTERN = r"^/t/[^/]+/api/"


def api_router() -> Router:
    handlers: list[Any] = list(
        [
            issue_token,
            UnitController,
            CandidateController,
            MemberController,
            CourseController,
            CertificateController,
            HelperController,
            AdmissionController,
            PlanController,
            *PIPELINE_HANDLERS,
            PluginAdminController,
            webhook_deliveries,
            redeliver_webhook,
            send_webhook_test,
        ]
    )
    declare_http_semantics(handlers)
    return Router(
        path=API_PREFIX,
        route_handlers=handlers,
        dependencies={
            "access": Provide(api_access),
            "paging": Provide(query_page, sync_to_thread=False),
        },
        middleware=[IdempotencyMiddleware, ETagMiddleware, PaginationMiddleware],
    )


def portal_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            login_page,
            login_submit,
            logout,
            password_page,
            password_submit,
            home,
            unit_page,
            dashboard,
            reevaluate,
            job_page,
            new_candidate_page,
            new_candidate_submit,
            candidate_page,
            edit_candidate_page,
            edit_candidate_submit,
            *LIST_PAGES,
            *PLAN_PAGES,
            *COURSE_PAGES,
            *HELPER_PAGES,
            *MEMBER_PAGES,
        ],
        dependencies={"access": Provide(portal_access)},
        include_in_schema=False,
    )


def tenant_router() -> Router:
    return Router(
        path=TENANT_PREFIX,
        route_handlers=[api_router(), portal_router()],
        middleware=[TenantMiddleware],
    )
