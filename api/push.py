"""Push routes: the VAPID public key, subscriptions, and a member's notification level per
group. docs/notifications.md."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from api.routing import Routes, current_user, ok, path_id
from api.schemas import CamelIn, SingleLine, Success
from domain.errors import InvalidInput
from domain.push_records import NewSubscription
from wiring.keys import PUSH, VAPID_PUBLIC_KEY

routes = Routes("push", errors=(403, 404))

Endpoint = Annotated[str, StringConstraints(min_length=1, max_length=4096), SingleLine]
Key = Annotated[str, StringConstraints(min_length=1, max_length=128), SingleLine]


class VapidKeyOut(Success):
    public_key: str


class SubscriptionKeys(CamelIn):
    p256dh: Key
    auth: Key


class SubscribeIn(CamelIn):
    endpoint: Endpoint
    keys: SubscriptionKeys | None = None
    platform: Literal["web", "fcm", "apns"] = "web"
    # PushSubscription.toJSON() in browsers also carries this; accepted and ignored.
    expiration_time: int | None = Field(None, ge=0)


class UnsubscribeIn(CamelIn):
    endpoint: Endpoint


class SubscribedOut(Success):
    platform: str
    created: bool


class LevelIn(CamelIn):
    notifications: Literal["all", "mentions", "none"]


class LevelOut(Success):
    group_id: int
    notifications: Literal["all", "mentions", "none"]


@routes.get(
    "/api/push/vapid-public-key", response=VapidKeyOut, summary="The server's VAPID public key"
)
async def vapid_public_key(request: web.Request) -> web.Response:
    return ok(publicKey=request.app[VAPID_PUBLIC_KEY])


@routes.post(
    "/api/push/subscriptions",
    response=SubscribedOut,
    status=201,
    summary="Subscribe this browser or device to push (201 new, 200 known)",
    errors=(422,),
)
async def subscribe(request: web.Request, body: SubscribeIn) -> web.Response:
    if body.platform == "web" and body.keys is None:
        raise InvalidInput("A web subscription needs its keys", {"keys": "required for web"})
    p256dh, auth = (body.keys.p256dh, body.keys.auth) if body.keys else ("", "")
    new = NewSubscription(body.endpoint, body.platform, p256dh, auth)
    created = await request.app[PUSH].subscribe(current_user(request).id, new)
    return ok(201 if created else 200, platform=body.platform, created=created)


@routes.delete(
    "/api/push/subscriptions", response=None, status=204, summary="Unsubscribe", errors=()
)
async def unsubscribe(request: web.Request, body: UnsubscribeIn) -> web.Response:
    await request.app[PUSH].unsubscribe(current_user(request).id, body.endpoint)
    return web.Response(status=204)


@routes.patch(
    "/api/groups/{group_id}/me",
    response=LevelOut,
    summary="Your notification level in this group (all, mentions, none)",
    errors=(403, 404, 422),
)
async def set_level(request: web.Request, body: LevelIn) -> web.Response:
    group_id = path_id(request, "group_id")
    user_id = current_user(request).id
    level = await request.app[PUSH].set_level(user_id, group_id, body.notifications)
    return ok(groupId=group_id, notifications=level)


@routes.get(
    "/api/groups/{group_id}/me",
    response=LevelOut,
    summary="Your notification level in this group",
)
async def get_level(request: web.Request) -> web.Response:
    group_id = path_id(request, "group_id")
    level = await request.app[PUSH].level(current_user(request).id, group_id)
    return ok(groupId=group_id, notifications=level)
