"""Planning the pushes of many posted messages at once (the dispatcher's burst path).

A burst of sends used to cost one unit of work and one query per message only to learn who
should be pushed; `plan_messages` does it for a whole burst in one unit of work and one query
(two when some candidate has blocks), with the same rule as `PushService.plan` (levels, blocks,
the actor): `PushRepository.group_targets_many` (storage/repositories/push.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from domain.chat import Message
from domain.ports import UnitOfWork
from domain.push_records import PushTarget

TargetKey = tuple[int, int | None]  # (group id, actor id)


async def message_targets(
    uow: UnitOfWork, messages: Sequence[Message], levels: Collection[str]
) -> list[list[PushTarget]]:
    """Per message, the subscriptions `group_targets(group, author, levels)` would return."""
    keys = [(message.group_id, message.user_id) for message in messages]
    targets = await uow.push.group_targets_many(set(keys), levels)
    return [targets.get(key, []) for key in keys]
