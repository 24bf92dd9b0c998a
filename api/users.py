"""Users as both clients see them: StudySync's public profile and Luminary's UserFull."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.accounts import user_json
from api.keys import USERS
from api.routing import Routes, current_user, ok, path_id
from domain.models import User

routes = Routes("users")


def luminary_user(user: User) -> dict[str, Any]:
    """Luminary's UserFull (snake_case). Progress lists are filled in by the progress module."""
    return {
        "id": user.id,
        "display_name": user.name,
        "current_attempt_id": user.current_attempt_id,
        "total_minutes": user.total_minutes,
        "current_attempt": None,
        "constellation_attempts": [],
        "sessions": [],
        "posts": [],
    }


@routes.get("/api/users/{user_id}", summary="A user's profile (StudySync and Luminary shapes)")
async def get_user(request: web.Request) -> web.Response:
    user = await request.app[USERS].get(path_id(request, "user_id"))
    is_self = user.id == current_user(request).id
    return ok(**luminary_user(user), user=user_json(user, private=is_self))
