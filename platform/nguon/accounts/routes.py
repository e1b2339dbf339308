"""Signing in: a bearer token for the API, a session for the portal."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_429_TOO_MANY_REQUESTS

from nguon.accounts.admin import record_sign_in
from nguon.accounts.admin_schemas import PasswordChange
from nguon.accounts.permissions import Access
from nguon.accounts.schemas import LoginForm, PasswordForm, TokenRequest, TokenResponse
from nguon.accounts.service import (
    LOGIN_FAILED_MESSAGE,
    MIN_PASSWORD_LENGTH,
    SignedInUser,
    authenticate,
    change_password,
)
from nguon.accounts.throttle import LockedOut, LoginGuard
from nguon.accounts.tokens import TokenSigner
from nguon.api.auth import (
    SESSION_SIGNED_IN,
    SESSION_TENANT,
    SESSION_USER,
    api_access_for_password_change,
    portal_access_for_password_change,
)
from nguon.api.session_rotation import rotate_session_id
from nguon.api.tenant import tenant_of
from nguon.clock import now_ms
from nguon.db.transaction import atomic
from nguon.errors import InvalidInput
from nguon.portal.wording import vietnamese

logger = logging.getLogger("nguon.accounts")

LOGIN_ATTEMPTS_STORE = "login_attempts"


def login_guard(request: Request[Any, Any, Any]) -> LoginGuard:
    return LoginGuard(request.app.stores.get(LOGIN_ATTEMPTS_STORE))


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address: the peer's, or the one a trusted proxy forwarded
    (``NGUON_TRUSTED_PROXIES``, applied by ``nguon.api.proxies``)."""
    return request.client.host if request.client else "unknown"


class WrongPassword(Exception):
    """A wrong password; ``locked_until`` when this failure starts a lock-out."""

    def __init__(self, locked_until: dt.datetime | None) -> None:
        super().__init__(locked_until)
        self.locked_until = locked_until

    @property
    def message(self) -> str:
        if self.locked_until is None:
            return LOGIN_FAILED_MESSAGE
        return f"{LOGIN_FAILED_MESSAGE} {LockedOut(self.locked_until).message}"


async def sign_in(
    request: Request[Any, Any, Any], username: str, password: str, channel: str = "portal"
) -> SignedInUser:
    """Check the rate limits and lock-out, then the password; log the attempt.

    Raises ``LockedOut`` when refused without checking the password,
    ``WrongPassword`` for a wrong password (saying so when it starts a lock-out).
    """
    tenant_id = tenant_of(request.scope).id
    address = client_address(request)
    guard = login_guard(request)
    try:
        await guard.before_attempt(tenant_id, address, username)
    except LockedOut:
        async with atomic():
            await record_sign_in(username, address, channel, "locked")
        raise
    async with atomic():
        user = await authenticate(username, password)
        await record_sign_in(username, address, channel, "failed" if user is None else "succeeded")
    if user is None:
        raise WrongPassword(await guard.failed(tenant_id, address, username))
    await guard.succeeded(tenant_id, address, username)
    return user


@post(
    "/auth/token", status_code=HTTP_200_OK, summary="Exchange a username and password for a token"
)
async def issue_token(
    request: Request[Any, Any, Any], data: JSONBody[TokenRequest]
) -> TokenResponse:
    try:
        user = await sign_in(request, data.username, data.password, channel="api")
    except LockedOut as refused:
        raise TooManyRequestsException(
            refused.message, headers={"Retry-After": str(refused.retry_after)}
        ) from None
    except WrongPassword as wrong:
        raise NotAuthorizedException(wrong.message) from None
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
    request: Request[Any, Any, Any],
    error: str = "",
    next_path: str = "",
    status: int = 200,
    username: str = "",
) -> Template:
    return Template(
        template_name="login.html",
        context={
            "tenant": tenant_of(request.scope),
            "error": error,
            "next": next_path,
            "username": username,
        },
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
    try:
        user = await sign_in(request, data.username, data.password)
    except LockedOut as refused:
        page = _login_page(
            request,
            error=vietnamese(refused.message),
            next_path=data.next,
            status=HTTP_429_TOO_MANY_REQUESTS,
        )
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    except WrongPassword as wrong:
        return _login_page(
            request,
            error=vietnamese(wrong.message),
            next_path=data.next,
            status=401,
            username=data.username,
        )
    start_session(request, user.user_id)
    return Redirect(path=_safe_next(tenant.slug, data.next), status_code=303)


def start_session(request: Request[Any, Any, Any], user_id: int) -> None:
    """A new session (under a new id) for ``user_id`` signed in now."""
    request.clear_session()
    rotate_session_id(request)
    request.set_session(
        {
            SESSION_USER: user_id,
            SESSION_TENANT: tenant_of(request.scope).id,
            SESSION_SIGNED_IN: now_ms(),
        }
    )


@post("/logout", summary="Portal sign-out", include_in_schema=False, status_code=HTTP_200_OK)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect(path=f"/t/{tenant_of(request.scope).slug}/login", status_code=303)


def _password_page(
    request: Request[Any, Any, Any],
    access: Access,
    errors: dict[str, str] | None = None,
    done: bool = False,
    status: int = 200,
) -> Template:
    return Template(
        template_name="password.html",
        context={
            "tenant": tenant_of(request.scope),
            "user": access,
            "errors": errors or {},
            "done": done,
            "min_length": MIN_PASSWORD_LENGTH,
            "must_change": access.must_change_password and not done,
        },
        status_code=status,
    )


_PASSWORD_CHANGE_ACCESS = {"access": Provide(portal_access_for_password_change)}


@get(
    "/account/password",
    summary="Change one's password",
    include_in_schema=False,
    dependencies=_PASSWORD_CHANGE_ACCESS,
)
async def password_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access]
) -> Template:
    return _password_page(request, access)


@post(
    "/account/password",
    summary="Change one's password",
    include_in_schema=False,
    status_code=HTTP_200_OK,
    dependencies=_PASSWORD_CHANGE_ACCESS,
)
async def password_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    data: URLEncodedBody[PasswordForm],
) -> Template:
    tenant_id = tenant_of(request.scope).id
    guard = login_guard(request)
    try:
        await guard.before_attempt(tenant_id, client_address(request), access.username)
    except LockedOut as refused:
        page = _password_page(
            request,
            access,
            {"current_password": refused.message},
            status=HTTP_429_TOO_MANY_REQUESTS,
        )
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    async with atomic():
        errors = await change_password(
            access, data.current_password, data.new_password, data.confirm_password
        )
    if "current_password" in errors:
        # A stolen session must not become a way to guess the password.
        until = await guard.failed(tenant_id, client_address(request), access.username)
        if until is not None:
            errors["current_password"] = LockedOut(until).message
    if errors:
        return _password_page(request, access, errors, status=400)
    # Every other session and token of the user is void now; this one starts afresh.
    start_session(request, access.user_id)
    return _password_page(request, access, done=True)


@post(
    "/account/password",
    summary="Change one's own password (also after an administrator's reset)",
    status_code=HTTP_200_OK,
    dependencies={"access": Provide(api_access_for_password_change)},
)
async def change_own_password(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    data: JSONBody[PasswordChange],
) -> TokenResponse:
    """Every earlier token and session ends; the answer carries a new token."""
    tenant_id = tenant_of(request.scope).id
    guard = login_guard(request)
    try:
        await guard.before_attempt(tenant_id, client_address(request), access.username)
    except LockedOut as refused:
        raise TooManyRequestsException(
            refused.message, headers={"Retry-After": str(refused.retry_after)}
        ) from None
    async with atomic():
        errors = await change_password(
            access, data.current_password, data.new_password, data.new_password
        )
    if "current_password" in errors:
        await guard.failed(tenant_id, client_address(request), access.username)
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(f"{message} / {PASSWORD_ERRORS_EN[field]}: {field}", field=field)
    signer: TokenSigner = request.app.state.token_signer
    token, expires = signer.issue(access.user_id, tenant_id)
    return TokenResponse(access_token=token, expires_at=expires)


PASSWORD_ERRORS_EN = {
    "current_password": "The current password is wrong",
    "new_password": "The new password is not acceptable",
    "confirm_password": "The passwords differ",
}
