"""The one table from domain event to what connected clients receive: the Socket.IO event name,
its rooms and its JSON payload (api-realtime.md). Nothing else in the code names a server→client
event that reports a domain change. Read by the publisher, docs/architecture.md's event table (a
test checks it) and, later, an AsyncAPI generator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.events import (
    MemberJoined,
    MemberLeft,
    MemberRequested,
    MembershipChanged,
    MessageDeleted,
    MessageEdited,
    MessagePinned,
    MessagePosted,
    NotificationCreated,
    PostCreated,
    ProfileChanged,
    ReactionsChanged,
    SessionAnnounced,
    TokensRevoked,
)
from realtime.rooms import group_room, user_room
from wire.chat import message_payload, reactions_payload
from wire.groups import member_payload
from wire.notifications import notification_payload
from wire.progress import post_full
from wire.sessions import session_payload

E = TypeVar("E")
Payload = dict[str, Any]


@dataclass(frozen=True)
class Emit:
    event: str
    room: str
    payload: Payload


@dataclass(frozen=True)
class Row(Generic[E]):
    """`event` and `audience` describe the row without an instance (docs, AsyncAPI)."""

    event: str
    audience: str  # the room pattern, e.g. "group:{groupId}"
    shape: str  # the payload's top-level keys, as documented
    rooms: Callable[[E], list[str]]
    payload: Callable[[E], Payload]


def _message_group(e: MessagePosted | MessageEdited) -> list[str]:
    return [group_room(e.message.group_id)]


WIRE: dict[type[Any], Row[Any]] = {
    MessagePosted: Row[MessagePosted](
        "message:new",
        "group:{groupId}",
        "{message}",
        _message_group,
        lambda e: {"message": message_payload(e.message)},
    ),
    MessageEdited: Row[MessageEdited](
        "message:updated",
        "group:{groupId}",
        "{message}",
        _message_group,
        lambda e: {"message": message_payload(e.message)},
    ),
    MessageDeleted: Row[MessageDeleted](
        "message:deleted",
        "group:{groupId}",
        "{groupId, messageId}",
        lambda e: [group_room(e.group_id)],
        lambda e: {"groupId": e.group_id, "messageId": e.message_id},
    ),
    ReactionsChanged: Row[ReactionsChanged](
        "message:reaction",
        "group:{groupId}",
        "{groupId, messageId, reactions}",
        lambda e: [group_room(e.group_id)],
        lambda e: {
            "groupId": e.group_id,
            "messageId": e.message_id,
            "reactions": reactions_payload(e.reactions),
        },
    ),
    MemberJoined: Row[MemberJoined](
        "member:joined",
        "group:{groupId}",
        "{groupId, member}",
        lambda e: [group_room(e.group_id)],
        lambda e: {"groupId": e.group_id, "member": member_payload(e.member)},
    ),
    MemberLeft: Row[MemberLeft](
        "member:left",
        "group:{groupId}",
        "{groupId, userId}",
        lambda e: [group_room(e.group_id)],
        lambda e: {"groupId": e.group_id, "userId": e.user_id},
    ),
    MemberRequested: Row[MemberRequested](
        "member:requested",
        "user:{leaderId}",
        "{groupId, member}",
        lambda e: [user_room(e.leader_id)],
        lambda e: {"groupId": e.group_id, "member": member_payload(e.member)},
    ),
    SessionAnnounced: Row[SessionAnnounced](
        "session:announced",
        "group:{groupId}",
        "{session}",
        lambda e: [group_room(e.session.group_id)],
        # A broadcast has no "me": myRsvp is null for every listener.
        lambda e: {"session": session_payload(e.session) | {"myRsvp": None}},
    ),
    PostCreated: Row[PostCreated](
        "post:new",
        "group:{groupId}, one emit per group of the author",
        "{post}",
        lambda e: [group_room(group_id) for group_id in e.group_ids],
        lambda e: {"post": post_full(e.post)},
    ),
    MessagePinned: Row[MessagePinned](
        "message:pinned",
        "group:{groupId}",
        "{groupId, messageId, pinned}",
        lambda e: [group_room(e.group_id)],
        lambda e: {"groupId": e.group_id, "messageId": e.message_id, "pinned": e.pinned},
    ),
    NotificationCreated: Row[NotificationCreated](
        "notification:new",
        "user:{userId}",
        "{notification}",
        lambda e: [user_room(e.notification.user_id)],
        lambda e: {"notification": notification_payload(e.notification)},
    ),
}

# Events for this process's own upkeep, never sent to clients as such: membership moves
# sockets between rooms, revoked tokens close sockets, profiles refresh the matching index.
INTERNAL: frozenset[type[Any]] = frozenset({MembershipChanged, TokensRevoked, ProfileChanged})


def emits(event: object) -> list[Emit]:
    """What clients receive for `event` (nothing for an internal event)."""
    row = WIRE.get(type(event))
    if row is None:
        return []
    payload = row.payload(event)
    return [Emit(row.event, room, payload) for room in row.rooms(event)]


def event_table() -> list[str]:
    """docs/architecture.md's event table, as its Markdown lines (a test keeps them equal)."""
    lines = ["| domain event | socket event | room | payload |", "|---|---|---|---|"]
    for event_type, row in WIRE.items():
        cells = (f"`{event_type.__name__}`", f"`{row.event}`", row.audience, f"`{row.shape}`")
        lines.append("| " + " | ".join(cells) + " |")
    return lines
