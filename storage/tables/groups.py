"""Study groups, their members, scheduled sessions with RSVPs, and invite links (0007)."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.tables.base import created_column, fk_column, id_column, metadata
from storage.types import Id, UTCDateTime

study_groups = Table(
    "study_groups",
    metadata,
    id_column(),
    Column("title", String(100), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("schedule", String(200), nullable=False, default="Flexible"),
    Column("location", String(200), nullable=False, default="TBD"),
    Column("max_members", Integer, nullable=False, default=6),
    Column("join_policy", String(16), nullable=False, default="open"),
    Column("status", String(16), nullable=False, default="active"),
    fk_column("leader_id", "users.id", ondelete="RESTRICT"),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("max_members BETWEEN 2 AND 50", name="max_members_range"),
    CheckConstraint("join_policy IN ('open', 'approval')", name="join_policy_values"),
    CheckConstraint("status IN ('active', 'closed')", name="status_values"),
)


group_members = Table(
    "group_members",
    metadata,
    id_column(),
    fk_column("group_id", "study_groups.id"),
    fk_column("user_id", "users.id"),
    Column("role", String(16), nullable=False, default="member"),
    Column("status", String(16), nullable=False, default="active"),
    # Read marker: the newest message id this member has read in the group.
    Column("last_read_message_id", Id, nullable=True),
    Column("joined_at", UTCDateTime(), nullable=False),
    UniqueConstraint("group_id", "user_id"),
    Index(None, "user_id", "status"),
    CheckConstraint("role IN ('leader', 'member')", name="role_values"),
    CheckConstraint("status IN ('active', 'pending')", name="status_values"),
)


group_sessions = Table(
    "group_sessions",
    metadata,
    id_column(),
    fk_column("group_id", "study_groups.id"),
    fk_column("created_by", "users.id"),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("location", String(200), nullable=False),
    Column("scheduled_time", UTCDateTime(), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False, default="scheduled"),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "group_id", "scheduled_time"),
    CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="duration_range"),
    CheckConstraint("status IN ('scheduled', 'cancelled')", name="status_values"),
)


session_rsvps = Table(
    "session_rsvps",
    metadata,
    id_column(),
    fk_column("session_id", "group_sessions.id"),
    fk_column("user_id", "users.id"),
    Column("status", String(16), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("session_id", "user_id"),
    CheckConstraint("status IN ('going', 'maybe', 'not_going')", name="status_values"),
)


# Invite links: `code` is the unguessable capability (secrets.token_urlsafe(24), 192 bits).
# max_uses NULL = unlimited; uses is counted by a conditional UPDATE (one statement, atomic).
group_invites = Table(
    "group_invites",
    metadata,
    id_column(),
    Column("code", String(64), nullable=False, unique=True),
    fk_column("group_id", "study_groups.id"),
    fk_column("created_by", "users.id"),
    Column("max_uses", Integer, nullable=True),
    Column("uses", Integer, nullable=False, default=0),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    created_column(),
    Index(None, "group_id", "id"),
    CheckConstraint("max_uses IS NULL OR max_uses BETWEEN 1 AND 100", name="max_uses_range"),
)
