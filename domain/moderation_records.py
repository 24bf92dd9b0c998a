"""Moderation records: blocks, reports, mutes (storage builds them, transports serialise them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REPORT_REASONS = ("spam", "harassment", "inappropriate", "other")
HIDE_AFTER_REPORTERS = 3  # distinct members reporting one message hide it pending review
MAX_MUTE_MINUTES = 10080  # one week


@dataclass(frozen=True)
class BlockedUser:
    user_id: int
    name: str
    blocked_at: datetime


@dataclass(frozen=True)
class Report:
    id: int
    message_id: int
    group_id: int
    reporter_id: int
    reporter_name: str
    reason: str
    note: str
    resolution: str | None  # None while open; "restored" | "deleted"
    created_at: datetime
    message_hidden: bool = False
    excerpt: str = ""


@dataclass(frozen=True)
class ReportOutcome:
    """What filing a report did: the stored report, how many distinct members reported the
    message so far, and whether this report was the one that hid it."""

    report: Report
    reporters: int
    hid_message: bool


@dataclass(frozen=True)
class Mute:
    group_id: int
    user_id: int
    until: datetime
