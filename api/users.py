"""Users as both clients see them: StudySync's public profile and Luminary's UserFull, plus
Luminary's per-user progress routes and the minute-total repair."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field, model_validator

from api.accounts import PrivateUserJson, RegisterIn, UserJson, create_account, user_json
from api.progress import caller, listing, page, posts, stats
from api.progress_inputs import AfterPage, BeforePage
from api.progress_models import ConstellationFullOut, PostsPage, UserFullOut, UsersPage
from api.routing import Routes, current_user, json_response, ok, path_id
from api.schemas import SnakeOut
from wire.progress import constellation_full, post_full, user_full
from wiring.keys import USERS

routes = Routes("users")


class LuminaryAccountOut(UserFullOut):
    """UserFull with StudySync's registration answer beside it."""

    success: Literal[True]
    message: str
    token: str
    refresh_token: str = Field(alias="refreshToken")
    user: PrivateUserJson


class UserAnswer(UserFullOut):
    """UserFull with the StudySync profile beside it (private when it is the caller)."""

    success: Literal[True]
    user: PrivateUserJson | UserJson


class TotalMinutesOut(SnakeOut):
    user_id: int
    display_name: str
    total_minutes: int


class CompletedOut(SnakeOut):
    user_id: int
    display_name: str
    completed_constellations: list[ConstellationFullOut]
    num_completed: int


class SyncMinutesOut(SnakeOut):
    message: str
    checked: int
    corrected: int


class LuminaryRegisterIn(RegisterIn):
    """Register's body; Luminary's `display_name` is accepted for `name`."""

    @model_validator(mode="before")
    @classmethod
    def _display_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "display_name" in data and "name" not in data:
            data = dict(data)
            data["name"] = data.pop("display_name")
        return data


@routes.post(
    "/api/users/",
    response=LuminaryAccountOut,
    errors=(409, 429, 503),
    auth=False,
    status=201,
    summary="Alias of register (Luminary's create user): UserFull plus token and user",
)
async def create_user(request: web.Request, body: LuminaryRegisterIn) -> web.Response:
    signed_in = await create_account(request, body)
    user, token = signed_in.user, signed_in.token
    view = await stats(request).user(user.id, user.id)
    return ok(
        201,
        **user_full(view),
        message="Registration successful",
        token=token,
        refreshToken=signed_in.refresh_token,
        user=user_json(user, private=True),
    )


@routes.get("/api/users/", response=UsersPage, summary="Public list of users (UserFull, no lists)")
async def list_users(request: web.Request, query: AfterPage) -> web.Response:
    after, limit = page(query)
    return listing("users", await stats(request).users(after, limit), limit, user_full)


@routes.get(
    "/api/users/{user_id}",
    response=UserAnswer,
    summary="A user's profile (StudySync and Luminary shapes)",
)
async def get_user(request: web.Request) -> web.Response:
    user_id = path_id(request, "user_id")
    user = await request.app[USERS].get(user_id)
    is_self = user.id == current_user(request).id
    view = await stats(request).user(caller(request), user_id)
    return ok(**user_full(view), user=user_json(user, private=is_self))


@routes.get(
    "/api/users/{user_id}/total_minutes/",
    response=TotalMinutesOut,
    summary="A user's total minutes",
)
async def total_minutes(request: web.Request) -> web.Response:
    person, minutes = await stats(request).total_minutes(path_id(request, "user_id"))
    return json_response(
        {"user_id": person.id, "display_name": person.display_name, "total_minutes": minutes}
    )


@routes.get(
    "/api/users/{user_id}/completed_constellations/",
    response=CompletedOut,
    summary="A user's completed constellations (one entry per completed attempt)",
)
async def completed_constellations(request: web.Request) -> web.Response:
    person, items = await stats(request).completed_constellations(path_id(request, "user_id"))
    return json_response(
        {
            "user_id": person.id,
            "display_name": person.display_name,
            "completed_constellations": [constellation_full(item) for item in items],
            "num_completed": len(items),
        }
    )


@routes.get("/api/users/{user_id}/posts/", response=PostsPage, summary="A user's posts")
@routes.get("/users/{user_id}/posts/", response=PostsPage, summary="Alias without /api (origin)")
async def user_posts(request: web.Request, query: BeforePage) -> web.Response:
    user_id = path_id(request, "user_id")
    before, limit = page(query)
    items = await posts(request).of_user(user_id, before, limit)
    return listing("posts", items, limit, post_full)


@routes.post(
    "/api/users/sync-minutes/",
    response=SyncMinutesOut,
    errors=(403,),
    summary="Recompute every user's total minutes (admins only)",
)
async def sync_minutes(request: web.Request) -> web.Response:
    request.app[USERS].require_admin(current_user(request))
    checked, corrected = await stats(request).sync_minutes()
    return json_response(
        {
            "message": f"Updated total_minutes for {corrected} users",
            "checked": checked,
            "corrected": corrected,
        }
    )
