"""Issue 17: moderation and push (migration 0008)."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.tables.base import created_column, fk_column, id_column, metadata
from storage.types import Id, UTCDateTime

# A user hides another: their messages carry hiddenByBlock for the blocker, their mentions of
# the blocker notify nobody, and matching never pairs the two (either direction).
user_blocks = Table(
    "user_blocks",
    metadata,
    id_column(),
    fk_column("blocker_id", "users.id"),
    fk_column("blocked_id", "users.id"),
    created_column(),
    UniqueConstraint("blocker_id", "blocked_id"),
    Index(None, "blocked_id"),
    CheckConstraint("blocker_id <> blocked_id", name="not_self"),
)


# One report per (message, reporter): the unique row makes "3 distinct reporters" a count.
message_reports = Table(
    "message_reports",
    metadata,
    id_column(),
    fk_column("message_id", "messages.id"),
    fk_column("group_id", "study_groups.id"),
    fk_column("reporter_id", "users.id"),
    Column("reason", String(16), nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Column("resolution", String(16), nullable=True),  # None open | restored | deleted
    created_column(),
    UniqueConstraint("message_id", "reporter_id"),
    Index(None, "resolution", "id"),
    CheckConstraint(
        "reason IN ('spam', 'harassment', 'inappropriate', 'other')", name="reason_values"
    ),
)


# A message hidden pending review (enough distinct reporters); the primary key makes the
# hiding happen once however many reports arrive together.
message_holds = Table(
    "message_holds",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    created_column(),
)


# A leader mutes a member until `until`; kept when they leave, so leaving does not unmute.
group_mutes = Table(
    "group_mutes",
    metadata,
    id_column(),
    fk_column("group_id", "study_groups.id"),
    fk_column("user_id", "users.id"),
    fk_column("muted_by", "users.id"),
    Column("until", UTCDateTime(), nullable=False),
    created_column(),
    UniqueConstraint("group_id", "user_id"),
)


# Per member and group: which events push (and notify) them; no row means "all".
notification_levels = Table(
    "notification_levels",
    metadata,
    id_column(),
    fk_column("group_id", "study_groups.id"),
    fk_column("user_id", "users.id"),
    Column("level", String(16), nullable=False),
    UniqueConstraint("group_id", "user_id"),
    CheckConstraint("level IN ('all', 'mentions', 'none')", name="level_values"),
)


# Web Push subscriptions (endpoint + browser keys) and native device tokens (endpoint = the
# token). An endpoint belongs to one user: subscribing it again moves it (a shared browser).
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    Column("platform", String(8), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("endpoint_sha256", String(64), nullable=False, unique=True),
    Column("p256dh", String(128), nullable=False, default=""),
    Column("auth", String(64), nullable=False, default=""),
    created_column(),
    Index(None, "user_id"),
    CheckConstraint("platform IN ('web', 'fcm', 'apns')", name="platform_values"),
)
