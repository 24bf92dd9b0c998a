"""Luminary's routes (snake_case, origins.md §2.3) behind JWT auth, and GET /api/progress/me.

Lists take `limit` (1..200, default 50) and a cursor: `after` (ascending lists) or `before`
(newest-first lists: posts and the feed); each answer carries `has_more`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.progress_inputs import (
    AfterPage,
    AttemptIn,
    BeforePage,
    ConstellationIn,
    ConstellationPatch,
    FocusSessionIn,
    PostIn,
)
from api.progress_models import (
    AttemptFullOut,
    AttemptsPage,
    CompletedAttemptOut,
    ConstellationFullOut,
    ConstellationsPage,
    DoneOut,
    MyProgressOut,
    PostFullOut,
    PostsPage,
    SessionFullOut,
    SessionsPage,
)
from api.routing import Routes, current_user, json_response, ok, path_id
from domain.posts import PostService
from domain.progress import ProgressService
from domain.stats import StatsService
from wire.progress import attempt_full, constellation_full, post_full, session_full
from wiring.keys import POSTS, PROGRESS, STATS

routes = Routes("progress", errors=(403, 409))


def service(request: web.Request) -> ProgressService:
    return request.app[PROGRESS]


def posts(request: web.Request) -> PostService:
    return request.app[POSTS]


def stats(request: web.Request) -> StatsService:
    return request.app[STATS]


def caller(request: web.Request) -> int:
    return current_user(request).id


def page(query: AfterPage | BeforePage) -> tuple[int | None, int]:
    """(cursor, limit + 1): one extra row tells whether there is a next page."""
    cursor = query.after if isinstance(query, AfterPage) else query.before
    return cursor, query.limit + 1


def listing(name: str, items: list[Any], limit_plus_one: int, shape: Any) -> web.Response:
    more = len(items) >= limit_plus_one
    return json_response(
        {name: [shape(item) for item in items[: limit_plus_one - 1]], "has_more": more}
    )


# --- constellations ---


@routes.post(
    "/api/constellations/",
    response=ConstellationFullOut,
    status=201,
    summary="Create a constellation",
)
async def create_constellation(request: web.Request, body: ConstellationIn) -> web.Response:
    view = await service(request).create_constellation(caller(request), body.name, body.weight)
    return json_response(constellation_full(view), 201)


@routes.get(
    "/api/constellations/", response=ConstellationsPage, summary="Constellations (your attempts)"
)
async def list_constellations(request: web.Request, query: AfterPage) -> web.Response:
    after, limit = page(query)
    items = await service(request).constellations(caller(request), after, limit)
    return listing("constellations", items, limit, constellation_full)


@routes.get(
    "/api/constellations/{constellation_id}/",
    response=ConstellationFullOut,
    summary="One constellation",
)
async def get_constellation(request: web.Request) -> web.Response:
    cid = path_id(request, "constellation_id")
    return json_response(
        constellation_full(await service(request).constellation(caller(request), cid))
    )


@routes.put(
    "/api/constellations/{constellation_id}/",
    response=ConstellationFullOut,
    summary="Rename or reweigh your constellation (weight is fixed once attempted)",
)
async def update_constellation(request: web.Request, body: ConstellationPatch) -> web.Response:
    cid = path_id(request, "constellation_id")
    view = await service(request).update_constellation(caller(request), cid, body.name, body.weight)
    return json_response(constellation_full(view))


@routes.delete(
    "/api/constellations/{constellation_id}/",
    response=DoneOut,
    summary="Delete your constellation (409 in use)",
)
async def delete_constellation(request: web.Request) -> web.Response:
    cid = path_id(request, "constellation_id")
    await service(request).delete_constellation(caller(request), cid)
    return json_response({"message": "Constellation deleted successfully!"})


@routes.get(
    "/api/constellations/{constellation_id}/posts/",
    response=PostsPage,
    summary="Posts about a constellation, newest first",
)
@routes.get(
    "/constellations/{constellation_id}/posts/",
    response=PostsPage,
    summary="Alias without /api (as the origin served it)",
)
async def constellation_posts(request: web.Request, query: BeforePage) -> web.Response:
    cid = path_id(request, "constellation_id")
    before, limit = page(query)
    items = await posts(request).of_constellation(cid, before, limit)
    return listing("posts", items, limit, post_full)


# --- constellation attempts ---


@routes.post(
    "/api/users/{user_id}/constellation_attempts/",
    response=AttemptFullOut,
    status=201,
    summary="Start an attempt (becomes your current attempt)",
)
async def start_attempt(request: web.Request, body: AttemptIn) -> web.Response:
    user_id = path_id(request, "user_id")
    view = await service(request).start_attempt(caller(request), user_id, body.constellation_id)
    return json_response(attempt_full(view), 201)


@routes.get("/api/constellation_attempts/", response=AttemptsPage, summary="Your attempts")
async def my_attempts(request: web.Request, query: AfterPage) -> web.Response:
    after, limit = page(query)
    items = await service(request).my_attempts(caller(request), after, limit)
    return listing("constellation_attempts", items, limit, attempt_full)


@routes.get(
    "/api/users/{user_id}/constellation_attempts/",
    response=AttemptsPage,
    summary="A user's attempts",
)
async def user_attempts(request: web.Request, query: AfterPage) -> web.Response:
    user_id = path_id(request, "user_id")
    after, limit = page(query)
    items = await service(request).attempts_of(caller(request), user_id, after, limit)
    return listing("constellation_attempts", items, limit, attempt_full)


@routes.get(
    "/api/users/{user_id}/current-attempt/",
    response=AttemptFullOut,
    summary="A user's current attempt",
)
async def current_attempt(request: web.Request) -> web.Response:
    user_id = path_id(request, "user_id")
    return json_response(
        attempt_full(await service(request).current_attempt(caller(request), user_id))
    )


@routes.get(
    "/api/constellation_attempts/{attempt_id}/", response=AttemptFullOut, summary="One attempt"
)
async def get_attempt(request: web.Request) -> web.Response:
    attempt_id = path_id(request, "attempt_id")
    return json_response(attempt_full(await service(request).attempt(caller(request), attempt_id)))


@routes.put(
    "/api/constellation_attempts/{attempt_id}/",
    response=AttemptFullOut,
    summary="+1 star (capped at the weight)",
)
async def add_star(request: web.Request) -> web.Response:
    attempt_id = path_id(request, "attempt_id")
    return json_response(attempt_full(await service(request).add_star(caller(request), attempt_id)))


@routes.put(
    "/api/constellation_attempts/{attempt_id}/complete",
    response=CompletedAttemptOut,
    summary="Complete an attempt",
)
async def complete_attempt(request: web.Request) -> web.Response:
    attempt_id = path_id(request, "attempt_id")
    view, cleared = await service(request).complete_attempt(caller(request), attempt_id)
    return json_response(
        {
            "attempt": attempt_full(view),
            "user_updated": cleared,
            "message": "Constellation completed successfully!",
        }
    )


@routes.delete(
    "/api/constellation_attempts/{attempt_id}/", response=DoneOut, summary="Delete your attempt"
)
async def delete_attempt(request: web.Request) -> web.Response:
    await service(request).delete_attempt(caller(request), path_id(request, "attempt_id"))
    return json_response({"message": "Constellation Attempt deleted successfully!"})


@routes.get(
    "/api/constellation_attempts/{attempt_id}/sessions/",
    response=SessionsPage,
    summary="Sessions of your attempt",
)
async def attempt_sessions(request: web.Request, query: AfterPage) -> web.Response:
    attempt_id = path_id(request, "attempt_id")
    after, limit = page(query)
    items = await service(request).sessions_of_attempt(caller(request), attempt_id, after, limit)
    return listing("sessions", items, limit, session_full)


# --- focus sessions ---


@routes.post("/api/sessions/", response=SessionFullOut, status=201, summary="Start a focus session")
async def create_session(request: web.Request, body: FocusSessionIn) -> web.Response:
    view = await service(request).create_session(
        caller(request), body.user_id, body.constellation_attempt_id, body.minutes
    )
    return json_response(session_full(view), 201)


@routes.get("/api/sessions/", response=SessionsPage, summary="Your focus sessions")
async def my_sessions(request: web.Request, query: AfterPage) -> web.Response:
    after, limit = page(query)
    items = await service(request).my_sessions(caller(request), after, limit)
    return listing("sessions", items, limit, session_full)


@routes.get(
    "/api/sessions/{focus_session_id}/", response=SessionFullOut, summary="One of your sessions"
)
async def get_session(request: web.Request) -> web.Response:
    session_id = path_id(request, "focus_session_id")
    return json_response(session_full(await service(request).session(caller(request), session_id)))


@routes.put(
    "/api/sessions/{focus_session_id}/complete/",
    response=SessionFullOut,
    summary="Complete (adds the minutes once)",
)
async def complete_session(request: web.Request) -> web.Response:
    session_id = path_id(request, "focus_session_id")
    view = await service(request).complete_session(caller(request), session_id)
    return json_response(session_full(view))


@routes.put(
    "/api/sessions/{focus_session_id}/cancel/",
    response=SessionFullOut,
    summary="Cancel (status becomes cancelled)",
)
async def cancel_session(request: web.Request) -> web.Response:
    session_id = path_id(request, "focus_session_id")
    view = await service(request).cancel_session(caller(request), session_id)
    return json_response(session_full(view))


@routes.delete(
    "/api/sessions/{focus_session_id}/", response=DoneOut, summary="Delete one of your sessions"
)
async def delete_session(request: web.Request) -> web.Response:
    await service(request).delete_session(caller(request), path_id(request, "focus_session_id"))
    return json_response({"message": "Session deleted successfully!"})


# --- posts and the feed ---


@routes.post("/api/posts/", response=PostFullOut, status=201, summary="Post to the feed")
async def create_post(request: web.Request, body: PostIn) -> web.Response:
    view = await posts(request).create(
        caller(request),
        body.user_id,
        body.constellation_id,
        body.post_type,
        body.message,
        body.study_duration,
    )
    return json_response(post_full(view), 201)


@routes.get("/api/posts/", response=PostsPage, summary="All posts, newest first")
async def list_posts(request: web.Request, query: BeforePage) -> web.Response:
    before, limit = page(query)
    return listing("posts", await posts(request).page(before, limit), limit, post_full)


@routes.get("/api/posts/{post_id}/", response=PostFullOut, summary="One post")
async def get_post(request: web.Request) -> web.Response:
    return json_response(post_full(await posts(request).get(path_id(request, "post_id"))))


@routes.delete("/api/posts/{post_id}/", response=DoneOut, summary="Delete your post")
async def delete_post(request: web.Request) -> web.Response:
    await posts(request).delete(caller(request), path_id(request, "post_id"))
    return json_response({"message": "Post deleted successfully!"})


@routes.get("/api/feed/", response=PostsPage, summary="Your and your groups' posts, newest first")
async def feed(request: web.Request, query: BeforePage) -> web.Response:
    before, limit = page(query)
    items = await posts(request).feed(caller(request), before, limit)
    return listing("posts", items, limit, post_full)


# --- progress summary (a StudySync route: camelCase) ---


@routes.get(
    "/api/progress/me",
    response=MyProgressOut,
    summary="Streak, minutes today/this week/total, stars",
)
async def my_progress(request: web.Request) -> web.Response:
    user = current_user(request)
    summary = await stats(request).summary(user.id, user.timezone)
    return ok(
        progress={
            "timezone": summary.timezone,
            "streakDays": summary.streak,
            "studiedToday": summary.studied_today,
            "minutesToday": summary.minutes_today,
            "minutesThisWeek": summary.minutes_this_week,
            "totalMinutes": summary.total_minutes,
            "stars": summary.stars,
            "completedConstellations": summary.completed_constellations,
            "completedSessions": summary.completed_sessions,
        }
    )
