"""Signing in: a bearer token for the API, a session for the portal."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.schemas import LoginForm, TokenRequest, TokenResponse
from nguon.accounts.service import LOGIN_FAILED_MESSAGE, authenticate
from nguon.accounts.tokens import TokenSigner
from nguon.api.auth import SESSION_TENANT, SESSION_USER
from nguon.api.session_rotation import rotate_session_id
from nguon.api.tenant import tenant_of
from nguon.api.transaction import atomic

logger = logging.getLogger("nguon.accounts")


@post(
    "/auth/token", status_code=HTTP_200_OK, summary="Exchange a username and password for a token"
)
async def issue_token(
    request: Request[Any, Any, Any], data: JSONBody[TokenRequest]
) -> TokenResponse:
    async with atomic():
        user = await authenticate(data.username, data.password)
    if user is None:
        raise NotAuthorizedException(LOGIN_FAILED_MESSAGE)
    signer: TokenSigner = request.app.state.token_signer
    token, expires = signer.issue(user.user_id, tenant_of(request.scope).id)
    return TokenResponse(access_token=token, expires_at=expires)


def _safe_next(slug: str, target: str) -> str:
    """Only a path inside this tenant's portal; anything else goes to the home page."""
    home = f"/t/{slug}/"
    if target.startswith(home) and "//" not in target and "\\" not in target:
        return target
    return home


def _login_page(
    request: Request[Any, Any, Any], error: str = "", next_path: str = "", status: int = 200
) -> Template:
    return Template(
        template_name="login.html",
        context={"tenant": tenant_of(request.scope), "error": error, "next": next_path},
        status_code=status,
    )


@get("/login", summary="Portal sign-in page", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str] = "") -> Template:
    return _login_page(request, next_path=next)


@post("/login", summary="Portal sign-in", include_in_schema=False, status_code=HTTP_200_OK)
async def login_submit(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[LoginForm],
) -> Template | Redirect:
    tenant = tenant_of(request.scope)
    async with atomic():
        user = await authenticate(data.username, data.password)
    if user is None:
        return _login_page(request, error=LOGIN_FAILED_MESSAGE, next_path=data.next, status=401)
    request.clear_session()
    rotate_session_id(request)
    request.set_session({SESSION_USER: user.user_id, SESSION_TENANT: tenant.id})
    return Redirect(path=_safe_next(tenant.slug, data.next), status_code=303)


@post("/logout", summary="Portal sign-out", include_in_schema=False, status_code=HTTP_200_OK)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect(path=f"/t/{tenant_of(request.scope).slug}/login", status_code=303)
