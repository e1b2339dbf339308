"""Who is calling: a bearer token for the JSON API, a server-side session for the portal.

Both are bound to one tenant: a token or session of tenant A is not valid under /t/B/.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from nguon.accounts.permissions import Access, user_access
from nguon.accounts.tokens import InvalidToken, TokenSigner
from nguon.api.tenant import tenant_of

UNAUTHENTICATED_MESSAGE = (
    "Cần đăng nhập, hoặc phiên đã hết hạn. / Authentication required, or it has expired."
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
SESSION_USER = "user_id"
SESSION_TENANT = "tenant_id"
SESSION_SIGNED_IN = "signed_in_ms"
"""When the session was signed in: it is void if the password changed since."""


MUST_CHANGE_PASSWORD_MESSAGE = (
    "Mật khẩu của bạn đã được quản trị viên đặt lại: hãy đổi mật khẩu trước "
    "(POST /api/{version}/account/password). / Your password was reset by an administrator: "
    "change it first (POST /api/{version}/account/password)."
)
"""Said in the API version the caller used (``/api/v2/…`` or the deprecated ``v1``)."""


def _api_version(request: Request[Any, Any, Any]) -> str:
    version = request.url.path.partition("/api/")[2].partition("/")[0]
    return version if version in {"v1", "v2"} else "v2"


class LoginRequired(Exception):
    """A portal page was asked for without a valid session of this tenant."""


class PasswordChangeRequired(Exception):
    """A portal page was asked for by a user who must first replace a one-time password."""


async def api_access(request: Request[Any, Any, Any]) -> Access:
    access = await api_access_for_password_change(request)
    if access.must_change_password:
        raise PermissionDeniedException(
            MUST_CHANGE_PASSWORD_MESSAGE.format(version=_api_version(request))
        )
    return access


async def api_access_for_password_change(request: Request[Any, Any, Any]) -> Access:
    """The caller, even one who must change a one-time password (only to change it)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(UNAUTHENTICATED_MESSAGE, headers=_CHALLENGE)
    signer: TokenSigner = request.app.state.token_signer
    try:
        claims = signer.verify(token.strip())
    except InvalidToken as error:
        raise NotAuthorizedException(UNAUTHENTICATED_MESSAGE, headers=_CHALLENGE) from error
    if claims.tenant_id != tenant_of(request.scope).id:
        raise NotAuthorizedException(UNAUTHENTICATED_MESSAGE, headers=_CHALLENGE)
    access = await user_access(claims.user_id)
    if access is None or claims.issued_at_ms < access.valid_since_ms:
        raise NotAuthorizedException(UNAUTHENTICATED_MESSAGE, headers=_CHALLENGE)
    return access


async def portal_access(request: Request[Any, Any, Any]) -> Access:
    access = await portal_access_for_password_change(request)
    if access.must_change_password:
        raise PasswordChangeRequired
    return access


async def portal_access_for_password_change(request: Request[Any, Any, Any]) -> Access:
    """The signed-in user, even one who must change a one-time password (only to change it)."""
    session = request.session if "session" in request.scope else {}
    user_id = session.get(SESSION_USER)
    if not isinstance(user_id, int) or session.get(SESSION_TENANT) != tenant_of(request.scope).id:
        raise LoginRequired
    access = await user_access(user_id)
    if access is None or session.get(SESSION_SIGNED_IN, 0) < access.valid_since_ms:
        raise LoginRequired
    return access
