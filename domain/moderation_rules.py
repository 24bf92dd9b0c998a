"""Moderation rules the chat path applies: a muted sender's refusal, blocked authors marked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.errors import Forbidden

if TYPE_CHECKING:
    from domain.chat import Message  # domain.chat imports this module


class Muted(Forbidden):
    """A muted member's send. REST answers 403 `muted`; the socket ack says `forbidden` with
    `details.reason = "muted"` (api-realtime.md), so the transports read `ack_code`."""

    code = "muted"
    ack_code = "forbidden"

    def __init__(self, until: datetime) -> None:
        stamp = until.isoformat().replace("+00:00", "Z")
        super().__init__(
            "A group leader muted you here until " + stamp,
            {"reason": "muted", "until": stamp},
        )
        self.until = until


def mark_blocked(messages: Iterable[Message], blocked: frozenset[int]) -> list[Message]:
    """The viewer's copy: messages by users they blocked carry `hidden_by_block`."""
    if not blocked:
        return list(messages)
    return [
        replace(message, hidden_by_block=True) if message.user_id in blocked else message
        for message in messages
    ]
