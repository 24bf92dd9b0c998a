"""Moderation routes: blocks, reports (and the admins' review), mutes. docs/moderation.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from api.responses import ChatMessageOut, IdsOut
from api.routing import Routes, current_user, ok, path_id
from api.schemas import MAX_ID, MAX_PAGE, CamelIn, CamelOut, MultiLine, Success
from domain.moderation_records import MAX_MUTE_MINUTES, BlockedUser, Report
from wire.chat import message_payload
from wire.times import iso
from wiring.keys import MODERATION, USERS

routes = Routes("moderation", errors=(403, 404, 409))

Note = Annotated[str, StringConstraints(max_length=500), MultiLine]
Reason = Literal["spam", "harassment", "inappropriate", "other"]


class BlockOut(Success):
    user_id: int
    blocked: bool


class BlockedUserOut(CamelOut):
    id: int
    name: str
    blocked_at: datetime


class BlockedListOut(Success):
    users: list[BlockedUserOut]


class ReportIn(CamelIn):
    reason: Reason
    note: Note = ""


class ReportOut(CamelOut):
    id: int
    message_id: int
    group_id: int
    reporter_id: int
    reporter_name: str
    reason: str
    note: str
    status: Literal["open", "restored", "deleted"]
    message_hidden: bool
    excerpt: str
    created_at: datetime


class FiledReportOut(CamelOut):
    id: int
    message_id: int
    group_id: int
    reason: str
    note: str
    created_at: datetime


class ReportAnswer(Success):
    report: FiledReportOut


class ReportsOut(Success):
    reports: list[ReportOut]
    has_more: bool


class ReportsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "all"] = "open"
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    before: int | None = Field(None, ge=1, le=MAX_ID)


class MessageAnswer(Success):
    message: ChatMessageOut


class MuteIn(CamelIn):
    minutes: StrictInt = Field(ge=1, le=MAX_MUTE_MINUTES)


class MuteOut(CamelOut):
    group_id: int
    user_id: int
    until: datetime


class MuteAnswer(Success):
    mute: MuteOut


def _blocked(item: BlockedUser) -> dict[str, object]:
    return {"id": item.user_id, "name": item.name, "blockedAt": iso(item.blocked_at)}


def report_payload(report: Report) -> dict[str, object]:
    return {
        "id": report.id,
        "messageId": report.message_id,
        "groupId": report.group_id,
        "reporterId": report.reporter_id,
        "reporterName": report.reporter_name,
        "reason": report.reason,
        "note": report.note,
        "status": report.resolution or "open",
        "messageHidden": report.message_hidden,
        "excerpt": report.excerpt,
        "createdAt": iso(report.created_at),
    }


# ---- blocks -------------------------------------------------------------------------------
# Registered before /api/users/{user_id} (app.py lists this table first): "blocked" is no id.


@routes.get("/api/users/blocked", response=BlockedListOut, summary="Users you blocked")
async def blocked(request: web.Request) -> web.Response:
    items = await request.app[MODERATION].blocked(current_user(request).id)
    return ok(users=[_blocked(item) for item in items])


@routes.post(
    "/api/users/{user_id}/block",
    response=BlockOut,
    status=201,
    summary="Block a user (201 new, 200 already blocked)",
    errors=(404, 422),
)
async def block(request: web.Request) -> web.Response:
    target = path_id(request, "user_id")
    created = await request.app[MODERATION].block(current_user(request).id, target)
    return ok(201 if created else 200, userId=target, blocked=True)


@routes.delete(
    "/api/users/{user_id}/block", response=BlockOut, summary="Unblock a user", errors=()
)
async def unblock(request: web.Request) -> web.Response:
    target = path_id(request, "user_id")
    await request.app[MODERATION].unblock(current_user(request).id, target)
    return ok(userId=target, blocked=False)


# ---- reports ------------------------------------------------------------------------------


@routes.post(
    "/api/chat/message/{message_id}/report",
    response=ReportAnswer,
    status=201,
    summary="Report a message to the group's leader and the admins",
    errors=(403, 404, 409, 422),
)
async def report(request: web.Request, body: ReportIn) -> web.Response:
    outcome = await request.app[MODERATION].report(
        current_user(request).id, path_id(request, "message_id"), body.reason, body.note
    )
    filed = outcome.report
    return ok(
        201,
        report={
            "id": filed.id,
            "messageId": filed.message_id,
            "groupId": filed.group_id,
            "reason": filed.reason,
            "note": filed.note,
            "createdAt": iso(filed.created_at),
        },
    )


def _require_admin(request: web.Request) -> None:
    request.app[USERS].require_admin(current_user(request))


@routes.get("/api/admin/reports", response=ReportsOut, summary="Reports to review (admins)")
async def admin_reports(request: web.Request, query: ReportsQuery) -> web.Response:
    _require_admin(request)
    items = await request.app[MODERATION].reports(
        query.status == "open", query.before, query.limit + 1
    )
    return ok(
        reports=[report_payload(item) for item in items[: query.limit]],
        hasMore=len(items) > query.limit,
    )


@routes.post(
    "/api/admin/messages/{message_id}/restore",
    response=MessageAnswer,
    summary="Show a held message again and close its reports (admins)",
)
async def admin_restore(request: web.Request) -> web.Response:
    _require_admin(request)
    message = await request.app[MODERATION].restore(path_id(request, "message_id"))
    return ok(message=message_payload(message))


@routes.delete(
    "/api/admin/messages/{message_id}", response=IdsOut, summary="Delete a message (admins)"
)
async def admin_delete(request: web.Request) -> web.Response:
    _require_admin(request)
    message_id = path_id(request, "message_id")
    group_id = await request.app[MODERATION].remove(message_id)
    return ok(groupId=group_id, messageId=message_id)


# ---- mutes --------------------------------------------------------------------------------


@routes.post(
    "/api/groups/{group_id}/members/{user_id}/mute",
    response=MuteAnswer,
    summary="Mute a member for some minutes (leader)",
    errors=(403, 404, 422),
)
async def mute(request: web.Request, body: MuteIn) -> web.Response:
    found = await request.app[MODERATION].mute(
        current_user(request).id,
        path_id(request, "group_id"),
        path_id(request, "user_id"),
        body.minutes,
    )
    return ok(mute={"groupId": found.group_id, "userId": found.user_id, "until": iso(found.until)})


class UnmuteOut(Success):
    group_id: int
    user_id: int
    muted: Literal[False]


@routes.delete(
    "/api/groups/{group_id}/members/{user_id}/mute",
    response=UnmuteOut,
    summary="Lift a mute (leader)",
    errors=(403, 404, 422),
)
async def unmute(request: web.Request) -> web.Response:
    group_id, user_id = path_id(request, "group_id"), path_id(request, "user_id")
    await request.app[MODERATION].unmute(current_user(request).id, group_id, user_id)
    return ok(groupId=group_id, userId=user_id, muted=False)
