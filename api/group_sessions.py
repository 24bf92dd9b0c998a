"""Group study sessions over REST, and each group's iCalendar (RFC 5545) feed."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from icalendar import Calendar, vText
from icalendar import Event as CalendarEvent
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from api.responses import GroupSessionOut
from api.routing import Routes, bearer_token, current_user, ok, path_id
from api.schemas import MAX_ID, MAX_PAGE, CamelIn, MessageOut, MultiLine, SingleLine, Success
from domain.group_sessions import GroupSession
from domain.groups import Group
from wire.sessions import session_payload
from wiring.keys import GROUP_SESSIONS, USERS

routes = Routes("group sessions", errors=(403, 409), verified_email=True)


class SessionAnswer(Success):
    session: GroupSessionOut


class SessionNewsOut(MessageOut):
    session: GroupSessionOut


class SessionListOut(Success):
    sessions: list[GroupSessionOut]
    has_more: bool


Title = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
Location = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
Description = Annotated[str, StringConstraints(max_length=5000), MultiLine]
FeedToken = Annotated[str, StringConstraints(min_length=1, max_length=1024), SingleLine]
Duration = Annotated[StrictInt, Field(ge=1, le=1440)]


class SessionIn(CamelIn):
    title: Title
    scheduled_time: AwareDatetime
    duration_minutes: Duration
    location: Location = "TBD"
    description: Description = ""


class SessionPatch(CamelIn):
    """Only the keys sent change; null is refused (send "" to clear the description)."""

    title: Title | None = None
    scheduled_time: AwareDatetime | None = None
    duration_minutes: Duration | None = None
    location: Location | None = None
    description: Description | None = None

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value

    @model_validator(mode="after")
    def _something(self) -> SessionPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class RsvpIn(CamelIn):
    status: Literal["going", "maybe", "not_going"]


class SessionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: Literal["upcoming", "past", "all"] = "all"
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    after: int | None = Field(None, ge=1, le=MAX_ID)


class FeedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: FeedToken | None = None


@routes.post(
    "/api/groups/{group_id}/sessions",
    response=SessionNewsOut,
    status=201,
    summary="Schedule a study session (active members)",
)
async def schedule_session(request: web.Request, body: SessionIn) -> web.Response:
    group_id = path_id(request, "group_id")
    session = await request.app[GROUP_SESSIONS].schedule(
        current_user(request).id, group_id, body.model_dump()
    )
    return ok(201, message="Session scheduled", session=session_payload(session))


@routes.get(
    "/api/groups/{group_id}/sessions",
    response=SessionListOut,
    summary="A group's sessions with attendee counts (?when=upcoming|past|all)",
)
async def list_sessions(request: web.Request, query: SessionQuery) -> web.Response:
    group_id = path_id(request, "group_id")
    page = await request.app[GROUP_SESSIONS].list_for_group(
        current_user(request).id, group_id, query.when, query.after, query.limit
    )
    return ok(sessions=[session_payload(s) for s in page.sessions], hasMore=page.has_more)


@routes.patch(
    "/api/group-sessions/{session_id}",
    response=SessionNewsOut,
    summary="Change a session (its creator or the group leader)",
)
async def change_session(request: web.Request, body: SessionPatch) -> web.Response:
    session_id = path_id(request, "session_id")
    changes = body.model_dump(include=body.model_fields_set)
    session = await request.app[GROUP_SESSIONS].change(
        current_user(request).id, session_id, changes
    )
    return ok(message="Session updated", session=session_payload(session))


@routes.delete(
    "/api/group-sessions/{session_id}",
    response=SessionNewsOut,
    summary="Cancel a session (its creator or the group leader); the session stays listed",
)
async def cancel_session(request: web.Request) -> web.Response:
    session = await request.app[GROUP_SESSIONS].cancel(
        current_user(request).id, path_id(request, "session_id")
    )
    return ok(message="Session cancelled", session=session_payload(session))


@routes.post(
    "/api/group-sessions/{session_id}/rsvp",
    response=SessionAnswer,
    summary="RSVP going, maybe or not_going",
)
async def rsvp(request: web.Request, body: RsvpIn) -> web.Response:
    session_id = path_id(request, "session_id")
    session = await request.app[GROUP_SESSIONS].rsvp(
        current_user(request).id, session_id, body.status
    )
    return ok(session=session_payload(session))


@routes.get(
    "/api/groups/{group_id}/sessions.ics",
    media_type="text/calendar",
    errors=(401, 403),
    auth=False,
    summary="iCalendar feed (members; Bearer header or ?token=<calendarToken>)",
)
async def calendar_feed(request: web.Request, query: FeedQuery) -> web.Response:
    group_id = path_id(request, "group_id")
    service = request.app[GROUP_SESSIONS]
    if "Authorization" in request.headers or query.token is None:
        user_id = (await request.app[USERS].authenticate(bearer_token(request))).id
    else:
        user_id = await service.user_for_calendar_token(query.token)
    group, sessions = await service.feed(user_id, group_id)
    body = render_calendar(group, sessions, service.now())
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'inline; filename="group-{group.id}.ics"'},
    )


def render_calendar(group: Group, sessions: list[GroupSession], now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//StudySync//Group study sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", ics_text(f"{group.title} · StudySync"))
    for session in sessions:
        event = CalendarEvent()
        event.add("uid", f"group-session-{session.id}@studysync")
        event.add("dtstamp", now)
        event.add("dtstart", session.scheduled_time)
        event.add("dtend", session.end_time)
        event.add("summary", ics_text(session.title))
        event.add("location", ics_text(session.location))
        event.add("description", ics_text(session.description, multi_line=True))
        event.add("status", "CANCELLED" if session.status == "cancelled" else "CONFIRMED")
        event.add("sequence", session.sequence)
        event.add("created", session.created_at)
        event.add("last-modified", session.updated_at)
        calendar.add_component(event)
    return calendar.to_ical()


_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u0085\u2028\u2029]")


def ics_text(value: str, *, multi_line: bool = False) -> vText:
    """An RFC 5545 TEXT value that cannot break out of its content line, whatever was stored
    (rows may predate the text rule): line breaks become one escaped newline (multi-line
    fields) or a space, other control characters and lone surrogates are dropped; vText then
    escapes backslash, comma, semicolon and newline, and to_ical() folds long lines."""
    text = _LINE_BREAKS.sub("\n" if multi_line else " ", value)
    kept = "".join(
        char
        for char in text
        if char in "\n\t" or unicodedata.category(char) not in {"Cc", "Cs", "Zl", "Zp"}
    )
    return vText(kept)
