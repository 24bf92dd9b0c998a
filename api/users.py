"""Users as both clients see them: StudySync's public profile and Luminary's UserFull, plus
Luminary's per-user progress routes and the minute-total repair."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import model_validator

from api.accounts import RegisterIn, user_json
from api.progress import AfterPage, BeforePage, caller, listing, page, posts, stats
from api.routing import Routes, current_user, json_response, ok, parse_body, path_id
from wire.progress import constellation_full, post_full, user_full
from wiring.keys import USERS

routes = Routes("users")


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
    auth=False,
    body=LuminaryRegisterIn,
    status=201,
    summary="Alias of register (Luminary's create user): UserFull plus token and user",
)
async def create_user(request: web.Request) -> web.Response:
    body = await parse_body(request, LuminaryRegisterIn)
    profile = body.profile_changes()
    profile["email"] = body.email
    user, token = await request.app[USERS].register(profile, body.password)
    view = await stats(request).user(user.id, user.id)
    return ok(
        201,
        **user_full(view),
        message="Registration successful",
        token=token,
        user=user_json(user, private=True),
    )


@routes.get("/api/users/", query=AfterPage, summary="Public list of users (UserFull, no lists)")
async def list_users(request: web.Request) -> web.Response:
    after, limit = page(request, AfterPage)
    return listing("users", await stats(request).users(after, limit), limit, user_full)


@routes.get("/api/users/{user_id}", summary="A user's profile (StudySync and Luminary shapes)")
async def get_user(request: web.Request) -> web.Response:
    user_id = path_id(request, "user_id")
    user = await request.app[USERS].get(user_id)
    is_self = user.id == current_user(request).id
    view = await stats(request).user(caller(request), user_id)
    return ok(**user_full(view), user=user_json(user, private=is_self))


@routes.get("/api/users/{user_id}/total_minutes/", summary="A user's total minutes")
async def total_minutes(request: web.Request) -> web.Response:
    person, minutes = await stats(request).total_minutes(path_id(request, "user_id"))
    return json_response(
        {"user_id": person.id, "display_name": person.display_name, "total_minutes": minutes}
    )


@routes.get(
    "/api/users/{user_id}/completed_constellations/",
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


@routes.get("/api/users/{user_id}/posts/", query=BeforePage, summary="A user's posts")
@routes.get("/users/{user_id}/posts/", query=BeforePage, summary="Alias without /api (origin)")
async def user_posts(request: web.Request) -> web.Response:
    user_id = path_id(request, "user_id")
    before, limit = page(request, BeforePage)
    items = await posts(request).of_user(user_id, before, limit)
    return listing("posts", items, limit, post_full)


@routes.post(
    "/api/users/sync-minutes/", summary="Recompute every user's total minutes (admins only)"
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
