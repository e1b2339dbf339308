"""User administration pages: list and search users, create one, give and take roles,
reset a password, deactivate and reactivate, recent sign-ins.

Tenant administrators manage the whole tenant, unit administrators their subtrees; the
rules are the service's (``nguon.accounts.admin``), the pages only say them in Vietnamese.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from nguon.accounts.admin import (
    admin_prefixes,
    create_user,
    get_user,
    grant_role,
    list_users,
    reset_password,
    revoke_role,
    set_active,
    sign_ins,
)
from nguon.accounts.admin_schemas import OneTimePassword, UserCreate, UserOut
from nguon.accounts.permissions import RANK, ROLES, WHOLE_TENANT, Access, Role
from nguon.api.tenant import tenant_of
from nguon.clock import today_in_vietnam
from nguon.db.transaction import atomic
from nguon.errors import Conflict, DomainError, Forbidden, InvalidInput
from nguon.org.tables import OrgUnit
from nguon.portal.context import ROLE_LABELS, page_context
from nguon.portal.forms import form_data, message_of
from nguon.tenancy.scoped import in_tenant
from nguon.text import ascii_digits

PAGE_SIZE = 50
RESULT_LABELS = {
    "succeeded": "Thành công",
    "failed": "Sai tên hoặc mật khẩu",
    "locked": "Bị từ chối do tạm khóa",
}
CHANNEL_LABELS = {"portal": "Cổng thông tin", "api": "API"}
DONE_MESSAGES = {
    "granted": "Đã gán vai trò.",
    "revoked": "Đã thu hồi vai trò (từ hôm nay).",
    "deactivated": "Đã khóa tài khoản: mọi phiên đăng nhập và khóa API của người này đã chấm dứt.",
    "reactivated": "Đã mở lại tài khoản.",
}


def _slug(request: Request[Any, Any, Any]) -> str:
    return tenant_of(request.scope).slug


def _grantable_roles(access: Access) -> dict[str, str]:
    """Roles the caller may grant somewhere: none above their own strongest admin role."""
    top = max((RANK[g.role] for g in access.grants), default=-1)
    return {role: ROLE_LABELS[role] for role in ROLES if RANK[role] <= top}


async def _administered_units(access: Access) -> list[dict[str, Any]]:
    """Units in force today within what the caller administers, parents first."""
    prefixes = admin_prefixes(access)
    if not prefixes:
        return []
    today = today_in_vietnam()
    query = OrgUnit.select(OrgUnit.id, OrgUnit.name, OrgUnit.path, OrgUnit.depth).where(
        in_tenant(OrgUnit), (OrgUnit.valid_to.is_null()) | (OrgUnit.valid_to > today)
    )
    if WHOLE_TENANT not in prefixes:
        clause = OrgUnit.path.like(f"{prefixes[0]}%")
        for prefix in prefixes[1:]:
            clause = clause | OrgUnit.path.like(f"{prefix}%")
        query = query.where(clause)
    return await query.order_by(OrgUnit.path).run()


@get("/admin/users", summary="Users the caller administers", include_in_schema=False)
async def users_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    q: Annotated[str, QueryParameter(max_length=200)] = "",
    page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
) -> Template:
    users = await list_users(access, q or None, page, PAGE_SIZE)
    return Template(
        template_name="users.html",
        context=page_context(
            request,
            access,
            users=users,
            q=q,
            page=page,
            pages=max(1, -(-users.total // PAGE_SIZE)),
            whole_tenant=WHOLE_TENANT in admin_prefixes(access),
        ),
    )


async def _new_user_form(
    request: Request[Any, Any, Any],
    access: Access,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Template:
    return Template(
        template_name="user_new.html",
        context=page_context(
            request,
            access,
            form=form,
            errors=errors,
            units=await _administered_units(access),
            roles=_grantable_roles(access),
            whole_tenant=WHOLE_TENANT in admin_prefixes(access),
        ),
        status_code=status,
    )


@get("/admin/users/new", summary="Create a user", include_in_schema=False)
async def new_user_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access]
) -> Template:
    if not admin_prefixes(access):
        raise Forbidden("Chỉ quản trị tỉnh hoặc quản trị đơn vị được tạo người dùng.")
    return await _new_user_form(request, access, {}, {})


def _whole(raw: dict[str, str], name: str) -> int | None:
    text = raw.get(name, "").strip()
    return int(text) if ascii_digits(text) and len(text) < 10 else None


def _role(raw: dict[str, str]) -> Role | None:
    value = raw.get("role", "")
    return value if value in RANK else None  # type: ignore[return-value]


@post(
    "/admin/users/new",
    summary="Create a user",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def new_user_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access]
) -> Template | Redirect:
    raw = await form_data(request)
    errors: dict[str, str] = {}
    username = raw.get("username", "").strip()
    full_name = raw.get("full_name", "").strip()
    if not username:
        errors["username"] = "Hãy nhập tên đăng nhập."
    if not full_name:
        errors["full_name"] = "Hãy nhập họ và tên."
    elif len(full_name) > 200:
        errors["full_name"] = "Họ và tên dài quá 200 ký tự."
    unit_id, role = _whole(raw, "unit_id"), _role(raw)
    if raw.get("unit_id") and unit_id is None:
        errors["unit_id"] = "Hãy chọn đơn vị trong danh sách."
    if raw.get("role") and role is None:
        errors["role"] = "Hãy chọn vai trò trong danh sách."
    if not errors:
        try:
            async with atomic():
                made = await create_user(
                    access,
                    UserCreate(
                        username=username[:64], full_name=full_name, unit_id=unit_id, role=role
                    ),
                )
        except (InvalidInput, Conflict, Forbidden) as error:
            errors[error.field or "username"] = message_of(error)
        else:
            return _issued(request, made, "created")
    return await _new_user_form(request, access, raw, errors, status=400)


ISSUED = "issued_password"
"""Session key of a one-time password waiting to be shown once, after the redirect."""


def _issued(request: Request[Any, Any, Any], made: OneTimePassword, kind: str) -> Redirect:
    """Post/Redirect/Get: the password goes to the user's page through the session and is
    shown there once; reloading the page neither shows it again nor repeats the act."""
    request.set_session(
        {
            **request.session,
            ISSUED: {"user": made.user.id, "password": made.one_time_password, "kind": kind},
        }
    )
    return Redirect(path=f"/t/{_slug(request)}/admin/users/{made.user.id}", status_code=303)


def _take_issued(
    request: Request[Any, Any, Any], user: UserOut
) -> tuple[OneTimePassword | None, OneTimePassword | None]:
    """The (created, reset) password waiting for this user's page, removed from the session."""
    waiting = request.session.get(ISSUED) if "session" in request.scope else None
    if not isinstance(waiting, dict) or waiting.get("user") != user.id:
        return None, None
    request.set_session({k: v for k, v in request.session.items() if k != ISSUED})
    issued = OneTimePassword(user=user, one_time_password=str(waiting["password"]))
    return (issued, None) if waiting.get("kind") == "created" else (None, issued)


async def _user_page(
    request: Request[Any, Any, Any],
    access: Access,
    user: UserOut,
    *,
    created: OneTimePassword | None = None,
    reset: OneTimePassword | None = None,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    prefixes = admin_prefixes(access)
    recent = await sign_ins(access, user.id, 20)
    return Template(
        template_name="user.html",
        context=page_context(
            request,
            access,
            person=user,
            created=created,
            reset=reset,
            done=DONE_MESSAGES.get(done, ""),
            errors=errors or {},
            form=form or {},
            units=await _administered_units(access),
            roles=_grantable_roles(access),
            revocable={
                m.id
                for m in user.memberships
                if any(m.unit_path.startswith(p) for p in prefixes)
                and RANK[m.role] <= RANK[access.role_on(m.unit_path) or "viewer"]
            },
            is_self=user.id == access.user_id,
            sign_ins=recent.items,
            result_labels=RESULT_LABELS,
            channel_labels=CHANNEL_LABELS,
        ),
        status_code=status,
    )


@get("/admin/users/{user_id:int}", summary="One user", include_in_schema=False)
async def user_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    user_id: FromPath[int],
    done: Annotated[str, QueryParameter(max_length=20)] = "",
) -> Template:
    user = await get_user(access, user_id)
    created, reset = _take_issued(request, user)
    return await _user_page(request, access, user, created=created, reset=reset, done=done)


def _back(request: Request[Any, Any, Any], user_id: int, done: str) -> Redirect:
    return Redirect(path=f"/t/{_slug(request)}/admin/users/{user_id}?done={done}", status_code=303)


async def _refused(
    request: Request[Any, Any, Any],
    access: Access,
    user_id: int,
    error: DomainError,
    field: str,
    form: dict[str, str] | None = None,
) -> Template:
    status = 403 if isinstance(error, Forbidden) else 409 if isinstance(error, Conflict) else 400
    return await _user_page(
        request,
        access,
        await get_user(access, user_id),
        errors={error.field or field: message_of(error)},
        form=form,
        status=status,
    )


@post(
    "/admin/users/{user_id:int}/memberships",
    summary="Give a role",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def grant_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], user_id: FromPath[int]
) -> Template | Redirect:
    raw = await form_data(request)
    unit_id, role = _whole(raw, "unit_id"), _role(raw)
    if unit_id is None or role is None:
        field = "unit_id" if unit_id is None else "role"
        text = "Hãy chọn đơn vị." if unit_id is None else "Hãy chọn vai trò."
        return await _refused(request, access, user_id, InvalidInput(text, field), field, raw)
    try:
        async with atomic():
            await grant_role(access, user_id, unit_id, role)
    except (InvalidInput, Conflict, Forbidden) as error:
        return await _refused(request, access, user_id, error, "role", raw)
    return _back(request, user_id, "granted")


@post(
    "/admin/users/{user_id:int}/memberships/{membership_id:int}/end",
    summary="Take a role away",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def revoke_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    user_id: FromPath[int],
    membership_id: FromPath[int],
) -> Template | Redirect:
    try:
        async with atomic():
            await revoke_role(access, user_id, membership_id)
    except (Conflict, Forbidden) as error:
        return await _refused(request, access, user_id, error, "memberships")
    return _back(request, user_id, "revoked")


@post(
    "/admin/users/{user_id:int}/password-reset",
    summary="Reset a password",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def reset_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], user_id: FromPath[int]
) -> Template | Redirect:
    try:
        async with atomic():
            made = await reset_password(access, user_id)
    except (Conflict, Forbidden) as error:
        return await _refused(request, access, user_id, error, "account")
    return _issued(request, made, "reset")


async def _set_active(
    request: Request[Any, Any, Any], access: Access, user_id: int, active: bool
) -> Template | Redirect:
    try:
        async with atomic():
            await set_active(access, user_id, active)
    except (Conflict, Forbidden) as error:
        return await _refused(request, access, user_id, error, "account")
    return _back(request, user_id, "reactivated" if active else "deactivated")


@post(
    "/admin/users/{user_id:int}/deactivate",
    summary="Deactivate a user",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def deactivate_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], user_id: FromPath[int]
) -> Template | Redirect:
    return await _set_active(request, access, user_id, False)


@post(
    "/admin/users/{user_id:int}/reactivate",
    summary="Reactivate a user",
    include_in_schema=False,
    status_code=HTTP_200_OK,
)
async def reactivate_submit(
    request: Request[Any, Any, Any], access: NamedDependency[Access], user_id: FromPath[int]
) -> Template | Redirect:
    return await _set_active(request, access, user_id, True)


@get("/admin/sign-ins", summary="Recent sign-in attempts", include_in_schema=False)
async def sign_ins_page(
    request: Request[Any, Any, Any], access: NamedDependency[Access]
) -> Template:
    recent = await sign_ins(access, None, 100)
    return Template(
        template_name="sign_ins.html",
        context=page_context(
            request,
            access,
            sign_ins=recent.items,
            result_labels=RESULT_LABELS,
            channel_labels=CHANNEL_LABELS,
        ),
    )


ROUTES = [
    users_page,
    new_user_page,
    new_user_submit,
    user_page,
    grant_submit,
    revoke_submit,
    reset_submit,
    deactivate_submit,
    reactivate_submit,
    sign_ins_page,
]
