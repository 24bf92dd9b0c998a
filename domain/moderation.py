"""Moderation: blocks between users, reports of messages (three reporters hide one pending an
admin's review), and mutes a group leader puts on a member. See docs/moderation.md."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from domain.chat import Message, utc_now
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.events import MessageDeleted, MessageEdited, NotificationCreated
from domain.groups import GroupService
from domain.moderation_records import (
    HIDE_AFTER_REPORTERS,
    MAX_MUTE_MINUTES,
    REPORT_REASONS,
    BlockedUser,
    Mute,
    Report,
    ReportOutcome,
)
from domain.notifications import NewNotification, Notification
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory

Clock = Callable[[], datetime]


class ModerationService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publisher: Publisher,
        admin_emails: Collection[str] = (),
        clock: Clock = utc_now,
        hide_after: int = HIDE_AFTER_REPORTERS,
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._admin_emails = tuple(dict.fromkeys(e.strip().lower() for e in admin_emails))
        self._now = clock
        self.hide_after = hide_after

    # ---- blocks ---------------------------------------------------------------------------

    async def block(self, user_id: int, target_id: int) -> bool:
        """True when the block is new (blocking twice changes nothing)."""
        if target_id == user_id:
            raise InvalidInput("You cannot block yourself", {"userId": "must not be you"})

        async def add(uow: UnitOfWork) -> bool:
            if await uow.users.get(target_id) is None:
                raise NotFound("User not found")
            created = await uow.blocks.add(user_id, target_id)
            await uow.commit()
            return created

        return await self._uow.run(add)

    async def unblock(self, user_id: int, target_id: int) -> None:
        async with self._uow() as uow:
            await uow.blocks.remove(user_id, target_id)
            await uow.commit()

    async def blocked(self, user_id: int) -> list[BlockedUser]:
        async with self._uow() as uow:
            return await uow.blocks.blocked_by(user_id)

    async def related_ids(self, user_id: int) -> frozenset[int]:
        """Users this user blocked or was blocked by: matching's exclusion (both ways)."""
        async with self._uow() as uow:
            return await uow.blocks.related_ids(user_id)

    # ---- reports --------------------------------------------------------------------------

    async def report(self, user_id: int, message_id: int, reason: str, note: str) -> ReportOutcome:
        """File a report; the group's leader and the admins are notified; the report that
        brings the message to `hide_after` distinct open reporters hides it (exactly once,
        however many arrive together: the message row is locked while counting)."""
        if reason not in REPORT_REASONS:
            raise InvalidInput("Unknown reason", {"reason": f"one of {REPORT_REASONS}"})

        async def file(uow: UnitOfWork) -> tuple[ReportOutcome, list[Notification]]:
            found = await uow.moderation.lock_message(message_id)
            if found is None:
                raise NotFound("Message not found")
            group_id, author_id, content = found
            await GroupService.active_membership(uow, user_id, group_id)
            if author_id == user_id:
                raise InvalidInput("You cannot report your own message", {"messageId": "yours"})
            report_id = await uow.moderation.add_report(
                message_id, group_id, user_id, reason, note
            )
            if report_id is None:
                raise Conflict("You already reported this message")
            reporters = await uow.moderation.open_reporters(message_id)
            hid = reporters >= self.hide_after and await uow.moderation.hold(message_id)
            notes = await self._notify_report(uow, group_id, message_id, user_id, reason, hid)
            report = await uow.moderation.report(report_id)
            assert report is not None
            await uow.commit()
            return ReportOutcome(report, reporters, hid), notes

        outcome, notes = await self._uow.run(file)
        events: list[object] = [NotificationCreated(note) for note in notes]
        if outcome.hid_message:
            events.insert(0, MessageDeleted(outcome.report.group_id, message_id))
        await self._publisher.publish(*events)
        return outcome

    async def _notify_report(
        self,
        uow: UnitOfWork,
        group_id: int,
        message_id: int,
        reporter_id: int,
        reason: str,
        hidden: bool,
    ) -> list[Notification]:
        group = await uow.groups.get(group_id)
        recipients = [] if group is None else [group.leader_id]
        for email in self._admin_emails:
            credentials = await uow.users.credentials_by_email(email)
            if credentials is not None:
                recipients.append(credentials.user_id)
        recipients = [r for r in dict.fromkeys(recipients) if r != reporter_id]
        title = group.title if group is not None else "a group"
        text = f"A message in {title} was reported ({reason})"
        if hidden:
            text += "; it is hidden until an admin reviews it"
        # The reporter is not named to the leader: reports must be safe to file.
        data = {"groupId": group_id, "messageId": message_id, "reason": reason, "hidden": hidden}
        return await uow.moderation.add_notifications(
            recipients, NewNotification("report", "Message reported", text, data)
        )

    async def reports(self, open_only: bool, before: int | None, limit: int) -> list[Report]:
        """For admins (the caller checks)."""
        async with self._uow() as uow:
            return await uow.moderation.reports(open_only, before, limit)

    async def restore(self, message_id: int) -> Message:
        """An admin's review: the message is shown again and its open reports are closed."""

        async def work(uow: UnitOfWork) -> Message:
            message = await uow.chat.get(message_id)
            if message is None:
                raise NotFound("Message not found")
            await uow.moderation.release(message_id)
            await uow.moderation.resolve_reports(message_id, "restored")
            await uow.commit()
            return message

        message = await self._uow.run(work)
        # Clients that dropped it on message:deleted add it back from this update.
        await self._publisher.publish(MessageEdited(message))
        return message

    async def remove(self, message_id: int) -> int:
        """An admin deletes a reported message (its reports go with it)."""

        async def work(uow: UnitOfWork) -> Message:
            message = await uow.chat.get(message_id)
            if message is None:
                raise NotFound("Message not found")
            await uow.chat.delete(message_id)
            await uow.commit()
            return message

        message = await self._uow.run(work)
        await self._publisher.publish(MessageDeleted(message.group_id, message_id))
        return message.group_id

    # ---- mutes ----------------------------------------------------------------------------

    async def mute(self, leader_id: int, group_id: int, user_id: int, minutes: int) -> Mute:
        if not 1 <= minutes <= MAX_MUTE_MINUTES:
            raise InvalidInput("minutes out of range", {"minutes": f"1..{MAX_MUTE_MINUTES}"})
        until = self._now() + timedelta(minutes=minutes)

        async def work(uow: UnitOfWork) -> Mute:
            await self._leader_over(uow, leader_id, group_id, user_id)
            await uow.moderation.set_mute(group_id, user_id, leader_id, until)
            await uow.commit()
            return Mute(group_id, user_id, until)

        return await self._uow.run(work)

    async def unmute(self, leader_id: int, group_id: int, user_id: int) -> None:
        async def work(uow: UnitOfWork) -> None:
            await self._leader_over(uow, leader_id, group_id, user_id)
            await uow.moderation.clear_mute(group_id, user_id)
            await uow.commit()

        await self._uow.run(work)

    @staticmethod
    async def _leader_over(uow: UnitOfWork, leader_id: int, group_id: int, user_id: int) -> None:
        group = await uow.groups.get(group_id)
        if group is None or group.status != "active":
            raise NotFound("Group not found")
        if group.leader_id != leader_id:
            raise Forbidden("Only the group leader can do that")
        if user_id == leader_id:
            raise InvalidInput("A leader cannot mute themselves", {"userId": "is the leader"})
        if await uow.groups.membership(group_id, user_id) is None:
            raise NotFound("This user is not in the group")
