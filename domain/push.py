"""Push to members who are offline: subscriptions, per-group levels, and who hears of what.

`plan(event)` is the rule: for a domain event it returns the notice to push and the
subscriptions it goes to, with the levels, blocks and the actor already applied (one query).
Whether a recipient is online, and the sending itself, belong to the dispatcher.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from domain.chat import Message
from domain.errors import InvalidInput
from domain.events import MemberRequested, MessagePosted, NotificationCreated, SessionAnnounced
from domain.groups import GroupService
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.push_batch import message_targets
from domain.push_records import LEVELS, PLATFORMS, NewSubscription, PushTarget

MAX_BODY = 120  # characters of preview in a push (api.md)
MAX_SUBSCRIPTIONS_PER_USER = 20
# Notifications that concern the user personally also reach a member on "mentions".
PERSONAL = frozenset({"mention", "report", "invite", "request_approved", "join_approved"})
# These are pushed from their own events (MemberRequested, SessionAnnounced); their stored
# notification is not pushed a second time.
PUSHED_DIRECTLY = frozenset({"join_request", "session_announced", "session"})

EndpointCheck = Callable[[NewSubscription], Awaitable[None]]
PushEvent = MessagePosted | NotificationCreated | MemberRequested | SessionAnnounced


@dataclass(frozen=True)
class PushNotice:
    """What a push says (wire/push.py turns it into the encrypted JSON)."""

    kind: str  # "message" or a notification type
    title: str
    body: str
    group_id: int | None = None
    message_id: int | None = None
    urgency: str = "normal"

    @property
    def collapse_key(self) -> str:
        """One group's pushes replace each other on the device (the push Topic)."""
        return f"group:{self.group_id}" if self.group_id is not None else f"user:{self.kind}"


def preview(text: str, limit: int = MAX_BODY) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _message_notice(message: Message, group_title: str | None) -> PushNotice:
    where = f" in {group_title}" if group_title is not None else ""
    return PushNotice(
        "message",
        preview(f"{message.user_name}{where}", 80),
        message_preview(message),
        message.group_id,
        message.id,
        "high" if message.message_type == "announcement" else "normal",
    )


def message_preview(message: Message) -> str:
    if message.message_type == "image" and not message.content.strip():
        return "📷 Image"
    return preview(message.content)


class PushService:
    def __init__(self, uow: UnitOfWorkFactory, check_endpoint: EndpointCheck) -> None:
        self._uow = uow
        self._check_endpoint = check_endpoint

    async def subscribe(self, user_id: int, new: NewSubscription) -> bool:
        """True when the subscription is new. The endpoint is validated first (no SSRF)."""
        if new.platform not in PLATFORMS:
            raise InvalidInput("Unknown platform", {"platform": f"one of {PLATFORMS}"})
        await self._check_endpoint(new)

        async def work(uow: UnitOfWork) -> bool:
            if await uow.push.count_for(user_id) >= MAX_SUBSCRIPTIONS_PER_USER:
                raise InvalidInput(
                    f"At most {MAX_SUBSCRIPTIONS_PER_USER} push subscriptions per user",
                    {"endpoint": "too many subscriptions; remove an old one"},
                )
            _id, created = await uow.push.subscribe(user_id, new)
            await uow.commit()
            return created

        return await self._uow.run(work)

    async def unsubscribe(self, user_id: int, endpoint: str) -> None:
        async with self._uow() as uow:
            await uow.push.unsubscribe(user_id, endpoint)
            await uow.commit()

    async def forget(self, subscription_id: int) -> None:
        """The push service said the subscription is gone (404/410)."""
        async with self._uow() as uow:
            await uow.push.drop(subscription_id)
            await uow.commit()

    async def set_level(self, user_id: int, group_id: int, level: str) -> str:
        if level not in LEVELS:
            raise InvalidInput("Unknown level", {"notifications": f"one of {LEVELS}"})

        async def work(uow: UnitOfWork) -> str:
            await GroupService.active_membership(uow, user_id, group_id)
            await uow.push.set_level(group_id, user_id, level)
            await uow.commit()
            return level

        return await self._uow.run(work)

    async def level(self, user_id: int, group_id: int) -> str:
        async with self._uow() as uow:
            await GroupService.active_membership(uow, user_id, group_id)
            return await uow.push.level(group_id, user_id)

    async def plan(self, event: PushEvent) -> tuple[PushNotice, list[PushTarget]] | None:
        """The notice and its subscriptions for an event; None when nobody is to hear of it."""
        async with self._uow() as uow:
            if isinstance(event, MessagePosted):
                return await self._message(uow, event.message)
            if isinstance(event, NotificationCreated):
                return await self._notification(uow, event)
            if isinstance(event, MemberRequested):
                return await self._request(uow, event)
            return await self._session(uow, event)

    async def plan_messages(
        self, messages: Sequence[Message]
    ) -> list[tuple[PushNotice, list[PushTarget]] | None]:
        """`plan(MessagePosted(m))` for each message, in one unit of work (domain/push_batch)."""
        async with self._uow() as uow:
            targets = await message_targets(uow, messages, ("all",))
            titles: dict[int, str | None] = {}
            plans: list[tuple[PushNotice, list[PushTarget]] | None] = []
            for message, found in zip(messages, targets, strict=True):
                if not found:
                    plans.append(None)
                    continue
                if message.group_id not in titles:
                    group = await uow.groups.get(message.group_id)
                    titles[message.group_id] = None if group is None else group.title
                plans.append((_message_notice(message, titles[message.group_id]), found))
            return plans

    async def _message(
        self, uow: UnitOfWork, message: Message
    ) -> tuple[PushNotice, list[PushTarget]] | None:
        targets = await uow.push.group_targets(message.group_id, message.user_id, ("all",))
        if not targets:
            return None
        group = await uow.groups.get(message.group_id)
        return _message_notice(message, None if group is None else group.title), targets

    async def _notification(
        self, uow: UnitOfWork, event: NotificationCreated
    ) -> tuple[PushNotice, list[PushTarget]] | None:
        note = event.notification
        if note.type in PUSHED_DIRECTLY:
            return None
        group_id = _int_or_none(note.data.get("groupId"))
        levels = ("all", "mentions") if note.type in PERSONAL else ("all",)
        targets = await uow.push.user_targets(note.user_id, group_id, levels)
        if not targets:
            return None
        message_id = _int_or_none(note.data.get("messageId"))
        urgency = "high" if note.type == "mention" else "normal"
        notice = PushNotice(
            note.type, preview(note.title, 80), preview(note.message), group_id, message_id, urgency
        )
        return notice, targets

    async def _request(
        self, uow: UnitOfWork, event: MemberRequested
    ) -> tuple[PushNotice, list[PushTarget]] | None:
        levels = ("all", "mentions")  # addressed to the leader personally
        targets = await uow.push.user_targets(event.leader_id, event.group_id, levels)
        if not targets:
            return None
        group = await uow.groups.get(event.group_id)
        title = group.title if group is not None else "your group"
        body = preview(f"{event.member.name} asked to join {title}")
        return PushNotice("join_request", "New join request", body, event.group_id), targets

    async def _session(
        self, uow: UnitOfWork, event: SessionAnnounced
    ) -> tuple[PushNotice, list[PushTarget]] | None:
        session = event.session
        targets = await uow.push.group_targets(session.group_id, session.created_by, ("all",))
        if not targets:
            return None
        state = "cancelled" if session.status == "cancelled" else "scheduled"
        when = session.scheduled_time.strftime("%a %d %b %H:%M UTC")
        body = preview(f"{session.title} ({state}) — {when}")
        return PushNotice("session", "Study session", body, session.group_id), targets


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
