"""Everything under ``/t/{tenant}/``: the versioned JSON API and the portal pages."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.di import Provide

from nguon.accounts.admin_routes import UserAdminController
from nguon.accounts.routes import (
    change_own_password,
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
from nguon.api.query_check import QueryCheck
from nguon.api.tenant import TenantMiddleware
from nguon.api.versions import V1, V2, V1Deprecation, V2Vocabulary
from nguon.org.routes import UnitController
from nguon.people.import_routes import IMPORT_HANDLERS
from nguon.people.routes import CandidateController, MemberController
from nguon.pipeline.chain_routes import CHAIN_HANDLERS
from nguon.pipeline.course_routes import CertificateController, CourseController
from nguon.pipeline.evaluation_routes import EVALUATION_HANDLERS
from nguon.pipeline.helper_routes import AdmissionController, HelperController
from nguon.pipeline.plan_routes import PlanController
from nguon.pipeline.routes import ROUTE_HANDLERS as PIPELINE_HANDLERS
from nguon.plugin_admin.routes import PluginAdminController
from nguon.plugins_builtin.webhooks.routes import (
    redeliver_webhook,
    send_webhook_test,
    webhook_deliveries,
)
from nguon.portal.candidate_import import ROUTES as CANDIDATE_IMPORT_PAGES
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
from nguon.portal.rules_versions import RULES_VERSION_PAGES
from nguon.portal.users import ROUTES as USER_PAGES
from nguon.reports.routes import FIGURE_HANDLERS

API_PREFIX = V1
READ_HANDLERS = [*EVALUATION_HANDLERS, *FIGURE_HANDLERS, *CHAIN_HANDLERS]
"""What the portal reads, over the API (issue 14)."""
TENANT_PREFIX = "/t/{tenant:str}"
# The JSON API authenticates with bearer tokens, never cookies, so it needs no CSRF token.
CSRF_EXEMPT_PATTERN = r"^/t/[^/]+/api/"


def api_router(version: str = V2) -> Router:
    """The JSON API under ``version``: v2 speaks the glossary of docs/api.md, v1 the old
    names (deprecated, left out of the OpenAPI document)."""
    handlers: list[Any] = [
        issue_token,
        UnitController,
        CandidateController,
        MemberController,
        *IMPORT_HANDLERS,
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
        *READ_HANDLERS,
        UserAdminController,
        change_own_password,
    ]
    declare_http_semantics(handlers)
    vocabulary = V2Vocabulary if version == V2 else V1Deprecation
    return Router(
        path=version,
        route_handlers=handlers,
        dependencies={
            "access": Provide(api_access),
            "paging": Provide(query_page, sync_to_thread=False),
        },
        # The vocabulary outermost: the others see the stored names, as the handlers do.
        # v2 refuses a query string with any problem, all named at once, before the rest.
        middleware=[
            *([QueryCheck] if version == V2 else []),
            vocabulary,
            IdempotencyMiddleware,
            ETagMiddleware,
            PaginationMiddleware,
        ],
        include_in_schema=version == V2,
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
            *CANDIDATE_IMPORT_PAGES,
            *USER_PAGES,
            *RULES_VERSION_PAGES,
        ],
        dependencies={"access": Provide(portal_access)},
        include_in_schema=False,
    )


def tenant_router() -> Router:
    return Router(
        path=TENANT_PREFIX,
        route_handlers=[api_router(V1), api_router(V2), portal_router()],
        middleware=[TenantMiddleware],
    )
