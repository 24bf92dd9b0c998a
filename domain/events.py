"""Typed domain events: what happened, as domain records. Services publish them only after their
unit of work has committed. The domain never names a socket event, a room or a JSON key: the
transports decide who hears of an event and how (realtime/wire.py for the sockets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.chat import Message, Reaction
    from domain.group_sessions import GroupSession
    from domain.groups import Member
    from domain.notifications import Notification
    from domain.progress_records import PostView


@dataclass(frozen=True)
class MessagePosted:
    message: Message


@dataclass(frozen=True)
class MessageEdited:
    message: Message


@dataclass(frozen=True)
class MessageDeleted:
    group_id: int
    message_id: int


@dataclass(frozen=True)
class ReactionsChanged:
    group_id: int
    message_id: int
    reactions: tuple[Reaction, ...]


@dataclass(frozen=True)
class MemberJoined:
    """An active member now (joined an open group, or was approved)."""

    group_id: int
    member: Member


@dataclass(frozen=True)
class MemberLeft:
    """An active member left or was removed (a pending request withdrawn is not this)."""

    group_id: int
    user_id: int


@dataclass(frozen=True)
class MemberRequested:
    """A user asked to join an approval group: its leader decides."""

    group_id: int
    leader_id: int
    member: Member


@dataclass(frozen=True)
class SessionAnnounced:
    """A study session was scheduled, changed or cancelled (RSVPs are not announced)."""

    session: GroupSession


@dataclass(frozen=True)
class PostCreated:
    """A Luminary post, for the author's active groups at the time of posting."""

    post: PostView
    group_ids: tuple[int, ...]


@dataclass(frozen=True)
class ProfileChanged:
    """A profile's matching inputs changed (other processes refresh their index)."""

    user_id: int


@dataclass(frozen=True)
class MembershipChanged:
    """A user became, or stopped being, an active member of a group: move their sockets."""

    user_id: int
    group_id: int
    active: bool


@dataclass(frozen=True)
class TokensRevoked:
    """Tokens of this user were revoked: close the sockets opened with them. `token_id` None:
    every token ("log out everywhere"); otherwise that one token (logout)."""

    user_id: int
    token_id: str | None = None


@dataclass(frozen=True)
class NotificationCreated:
    """A notification was stored (mention, invite, report, join request/approval, session):
    the sockets tell `notification:new` to its recipient; push reaches the recipient when they
    are offline on every worker. Published once per notification, after commit."""

    notification: Notification


@dataclass(frozen=True)
class MessagePinned:
    group_id: int
    message_id: int
    pinned: bool


DomainEvent = (
    MessagePosted
    | MessageEdited
    | MessageDeleted
    | ReactionsChanged
    | MemberJoined
    | MemberLeft
    | MemberRequested
    | SessionAnnounced
    | PostCreated
    | ProfileChanged
    | MembershipChanged
    | TokensRevoked
    | NotificationCreated
    | MessagePinned
)
