"""Group study sessions: schedule, change, cancel, RSVP, and the data of the calendar feed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from domain.events import NotificationCreated, SessionAnnounced
from domain.groups import Group
from domain.notifications import NewNotification, Notification
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory

RSVP_STATUSES = ("going", "maybe", "not_going")
WHEN_VALUES = ("upcoming", "past", "all")
PAST_GRACE = timedelta(minutes=5)  # a start this little in the past still counts as "now"
MAX_AHEAD = timedelta(days=2 * 365)  # sessions are scheduled at most two years ahead
FEED_HISTORY = timedelta(days=365)  # the calendar feed keeps a year of past sessions
FEED_LIMIT = 1000
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class GroupSession:
    id: int
    group_id: int
    title: str
    description: str
    location: str
    scheduled_time: datetime
    duration_minutes: int
    status: str  # "scheduled" | "cancelled"
    created_by: int
    created_by_name: str
    created_at: datetime
    updated_at: datetime
    going: int = 0
    maybe: int = 0
    not_going: int = 0
    my_rsvp: str | None = None

    @property
    def end_time(self) -> datetime:
        return self.scheduled_time + timedelta(minutes=self.duration_minutes)

    @property
    def sequence(self) -> int:
        """iCalendar SEQUENCE: whole seconds from creation to the last change. Every change
        moves `updated_at` at least one second forward (see `next_revision_time`)."""
        return int((self.updated_at - self.created_at).total_seconds())


@dataclass(frozen=True)
class SessionPage:
    sessions: list[GroupSession]
    has_more: bool


def next_revision_time(previous: datetime, now: datetime) -> datetime:
    """The `updated_at` of a change: now, but at least a second after the previous change, so
    the derived SEQUENCE strictly increases even for changes within one second."""
    return max(now, previous + timedelta(seconds=1))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class GroupSessionService:
    def __init__(
        self, uow: UnitOfWorkFactory, publisher: Publisher, clock: Clock | None = None
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self.now = clock or _utcnow

    async def schedule(self, user_id: int, group_id: int, fields: dict[str, Any]) -> GroupSession:
        """fields: title, description, location, scheduled_time (aware), duration_minutes."""
        now = self.now()
        fields = {**fields, "scheduled_time": self._checked_start(fields["scheduled_time"], now)}
        async with self._uow() as uow:
            group = await self._member_group(uow, user_id, group_id)
            session_id = await uow.group_sessions.add(group_id, user_id, fields, now)
            session = await self._session(uow, session_id, viewer_id=user_id)
            notes = await self._notify(uow, group, session, user_id, "scheduled")
            await uow.commit()
        await self._announce(session, notes)
        return session

    async def list_for_group(
        self, user_id: int, group_id: int, when: str, after: int | None, limit: int
    ) -> SessionPage:
        """upcoming: not yet ended, soonest first; past: ended, latest first; all: by start.
        `after` is the id of the last session of the previous page."""
        now = self.now()
        async with self._uow() as uow:
            await self._member_group(uow, user_id, group_id)
            cursor = None
            if after is not None:
                cursor = await uow.group_sessions.get(after)
                if cursor is None or cursor.group_id != group_id:
                    raise InvalidInput(
                        "after must be the id of a session of this group",
                        {"after": "not a session of this group"},
                    )
            rows = await uow.group_sessions.page(group_id, user_id, when, now, cursor, limit + 1)
        return SessionPage(rows[:limit], has_more=len(rows) > limit)

    async def change(self, user_id: int, session_id: int, changes: dict[str, Any]) -> GroupSession:
        now = self.now()
        if "scheduled_time" in changes:
            changes = {
                **changes,
                "scheduled_time": self._checked_start(changes["scheduled_time"], now),
            }
        async with self._uow() as uow:
            group, current = await self._editable(uow, user_id, session_id)
            if current.status == "cancelled":
                raise Conflict("This session was cancelled; schedule a new one instead")
            revised = next_revision_time(current.updated_at, now)
            await uow.group_sessions.update(session_id, {**changes, "updated_at": revised})
            session = await self._session(uow, session_id, viewer_id=user_id)
            notes = await self._notify(uow, group, session, user_id, "changed")
            await uow.commit()
        await self._announce(session, notes)
        return session

    async def cancel(self, user_id: int, session_id: int) -> GroupSession:
        """Marks the session cancelled (the row stays). Cancelling twice changes nothing."""
        now = self.now()
        async with self._uow() as uow:
            group, current = await self._editable(uow, user_id, session_id)
            if current.status == "cancelled":
                return current
            revised = next_revision_time(current.updated_at, now)
            await uow.group_sessions.update(
                session_id, {"status": "cancelled", "updated_at": revised}
            )
            session = await self._session(uow, session_id, viewer_id=user_id)
            notes = await self._notify(uow, group, session, user_id, "cancelled")
            await uow.commit()
        await self._announce(session, notes)
        return session

    async def rsvp(self, user_id: int, session_id: int, status: str) -> GroupSession:
        if status not in RSVP_STATUSES:
            raise InvalidInput("Unknown RSVP status", {"status": f"one of {list(RSVP_STATUSES)}"})
        now = self.now()
        async with self._uow() as uow:
            session = await self._session(uow, session_id)
            await self._member_group(uow, user_id, session.group_id)
            if session.status == "cancelled":
                raise Conflict("This session was cancelled")
            if session.end_time <= now:
                raise Conflict("This session has already ended")
            await uow.group_sessions.upsert_rsvp(session_id, user_id, status, now)
            session = await self._session(uow, session_id, viewer_id=user_id)
            await uow.commit()
        return session

    async def user_for_calendar_token(self, token: str) -> int:
        async with self._uow() as uow:
            user_id = await uow.group_sessions.user_id_by_calendar_token(token)
        if user_id is None:
            raise Unauthorized("Unknown or revoked calendar token")
        return user_id

    async def feed(self, user_id: int, group_id: int) -> tuple[Group, list[GroupSession]]:
        """The group and its sessions for the calendar feed: a year back and everything ahead."""
        since = self.now() - FEED_HISTORY
        async with self._uow() as uow:
            group = await self._member_group(uow, user_id, group_id)
            sessions = await uow.group_sessions.for_feed(group_id, since, FEED_LIMIT)
        return group, sessions

    @staticmethod
    def _checked_start(start: datetime, now: datetime) -> datetime:
        if start.tzinfo is None or start.utcoffset() is None:
            raise InvalidInput(
                "scheduledTime needs a UTC offset",
                {"scheduledTime": "use ISO-8601 with an offset, e.g. 2030-01-31T18:00:00+01:00"},
            )
        try:
            start = start.astimezone(UTC)
        except OverflowError as error:
            raise InvalidInput(
                "scheduledTime is out of range", {"scheduledTime": "out of range"}
            ) from error
        if start < now - PAST_GRACE:
            raise InvalidInput(
                "scheduledTime is in the past", {"scheduledTime": "must not be in the past"}
            )
        if start > now + MAX_AHEAD:
            raise InvalidInput(
                "scheduledTime is too far ahead",
                {"scheduledTime": f"at most {MAX_AHEAD.days} days ahead"},
            )
        return start

    @staticmethod
    async def _member_group(uow: UnitOfWork, user_id: int, group_id: int) -> Group:
        group = await uow.groups.get(group_id)
        if group is None or group.status != "active":
            raise NotFound("Group not found")
        membership = await uow.groups.membership(group_id, user_id)
        if membership is None or membership.status != "active":
            raise Forbidden("Only active members of this group can do that")
        return group

    @staticmethod
    async def _session(
        uow: UnitOfWork, session_id: int, lock: bool = False, viewer_id: int | None = None
    ) -> GroupSession:
        session = await uow.group_sessions.get(session_id, viewer_id, lock=lock)
        if session is None:
            raise NotFound("Session not found")
        return session

    async def _editable(
        self, uow: UnitOfWork, user_id: int, session_id: int
    ) -> tuple[Group, GroupSession]:
        """The session's creator (still an active member) or the group's leader may edit."""
        session = await self._session(uow, session_id, lock=True)
        group = await self._member_group(uow, user_id, session.group_id)
        if user_id not in (session.created_by, group.leader_id):
            raise Forbidden("Only the session's creator or the group leader can change it")
        return group, session

    @staticmethod
    async def _notify(
        uow: UnitOfWork, group: Group, session: GroupSession, actor_id: int, action: str
    ) -> list[Notification]:
        members = await uow.groups.members(group.id)
        actor = next((m.name for m in members if m.user_id == actor_id), "A member")
        when = session.scheduled_time.strftime("%a %d %b %Y %H:%M UTC")
        titles = {
            "scheduled": "New study session",
            "changed": "Study session changed",
            "cancelled": "Study session cancelled",
        }
        return await uow.notifications.add_many(
            [m.user_id for m in members if m.user_id != actor_id],
            NewNotification(
                "session_announced",
                titles[action],
                f"{actor} {action} “{session.title}” in {group.title} ({when})",
                {
                    "groupId": group.id,
                    "sessionId": session.id,
                    "id": session.id,
                    "action": action,
                    "status": session.status,
                },
            ),
        )

    async def _announce(self, session: GroupSession, notes: list[Notification]) -> None:
        await self._publisher.publish(SessionAnnounced(session), *map(NotificationCreated, notes))
