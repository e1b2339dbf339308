"""The user administration API: tenant administrators for the whole tenant, unit
administrators within their subtrees (``nguon.accounts.admin``)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from nguon.accounts.admin import (
    create_user,
    get_user,
    grant_role,
    list_users,
    reset_password,
    revoke_role,
    set_active,
    sign_ins,
)
from nguon.accounts.admin_schemas import (
    MembershipIn,
    OneTimePassword,
    SignInList,
    UserCreate,
    UserOut,
    UserPage,
)
from nguon.accounts.permissions import Access
from nguon.db.transaction import atomic

RECENT_SIGN_INS = 500
"""How far back the sign-in log reads (the newest attempts), in pages of ``limit``."""


class UserAdminController(Controller):
    path = "/admin/users"
    tags: ClassVar[list[str]] = ["users"]

    @get("/", summary="Users the caller administers, searched by username or name")
    async def list_users(
        self,
        access: NamedDependency[Access],
        q: Annotated[str, QueryParameter(max_length=200)] = "",
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> UserPage:
        return await list_users(access, q or None, page, page_size)

    @post(
        "/",
        summary="Create a user (with a first role); returns a one-time password",
        status_code=HTTP_201_CREATED,
    )
    async def create_user(
        self, access: NamedDependency[Access], data: JSONBody[UserCreate]
    ) -> OneTimePassword:
        async with atomic():
            return await create_user(access, data)

    @get("/sign-ins", summary="Recent sign-in attempts of the users the caller administers")
    async def recent_sign_ins(self, access: NamedDependency[Access]) -> SignInList:
        """The latest attempts, newest first, paged by ``cursor`` and ``limit``."""
        return await sign_ins(access, None, RECENT_SIGN_INS)

    @get("/{user_id:int}", summary="One user and their current roles")
    async def get_user(self, access: NamedDependency[Access], user_id: FromPath[int]) -> UserOut:
        return await get_user(access, user_id)

    @get("/{user_id:int}/sign-ins", summary="One user's recent sign-in attempts")
    async def user_sign_ins(
        self, access: NamedDependency[Access], user_id: FromPath[int]
    ) -> SignInList:
        """The user's latest attempts, newest first, paged by ``cursor`` and ``limit``."""
        return await sign_ins(access, user_id, RECENT_SIGN_INS)

    @post(
        "/{user_id:int}/memberships",
        summary="Give the user a role on a unit",
        status_code=HTTP_201_CREATED,
    )
    async def grant(
        self, access: NamedDependency[Access], user_id: FromPath[int], data: JSONBody[MembershipIn]
    ) -> UserOut:
        async with atomic():
            return await grant_role(access, user_id, data.unit_id, data.role)

    @post(
        "/{user_id:int}/memberships/{membership_id:int}/end",
        summary="Take a role away from today (kept as history)",
        status_code=HTTP_200_OK,
    )
    async def revoke(
        self,
        access: NamedDependency[Access],
        user_id: FromPath[int],
        membership_id: FromPath[int],
    ) -> UserOut:
        async with atomic():
            return await revoke_role(access, user_id, membership_id)

    @post(
        "/{user_id:int}/password-reset",
        summary="A one-time password the user must change at the next sign-in",
        status_code=HTTP_200_OK,
    )
    async def reset_password(
        self, access: NamedDependency[Access], user_id: FromPath[int]
    ) -> OneTimePassword:
        async with atomic():
            return await reset_password(access, user_id)

    @post(
        "/{user_id:int}/deactivate",
        summary="Deactivate: every session and token of the user ends at once",
        status_code=HTTP_200_OK,
    )
    async def deactivate(self, access: NamedDependency[Access], user_id: FromPath[int]) -> UserOut:
        async with atomic():
            return await set_active(access, user_id, False)

    @post("/{user_id:int}/reactivate", summary="Reactivate a user", status_code=HTTP_200_OK)
    async def reactivate(self, access: NamedDependency[Access], user_id: FromPath[int]) -> UserOut:
        async with atomic():
            return await set_active(access, user_id, True)
