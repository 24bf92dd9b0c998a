"""Luminary progress: constellations, attempts at them, focus sessions and posts."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table, Text

from storage.tables.base import created_column, fk_column, id_column, metadata
from storage.types import UTCDateTime

constellations = Table(
    "constellations",
    metadata,
    id_column(),
    Column("name", String(100), nullable=False),
    Column("weight", Integer, nullable=False),
    fk_column("created_by", "users.id", ondelete="SET NULL", nullable=True),
    created_column(),
    CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
)


constellation_attempts = Table(
    "constellation_attempts",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    fk_column("constellation_id", "constellations.id", ondelete="RESTRICT"),
    Column("stars_completed", Integer, nullable=False, default=0),
    Column("completed_at", UTCDateTime(), nullable=True),
    created_column(),
    Index(None, "user_id", "id"),
)


focus_sessions = Table(
    "focus_sessions",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    fk_column("constellation_attempt_id", "constellation_attempts.id"),
    Column("minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("completed_at", UTCDateTime(), nullable=True),
    created_column(),
    Index(None, "user_id", "status"),
    CheckConstraint("minutes BETWEEN 1 AND 600", name="minutes_range"),
    CheckConstraint("status IN ('pending', 'completed', 'cancelled')", name="status_values"),
)


posts = Table(
    "posts",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    fk_column("constellation_id", "constellations.id", ondelete="RESTRICT"),
    Column("post_type", String(16), nullable=False),
    Column("message", Text, nullable=True),
    Column("study_duration", Integer, nullable=True),
    created_column(),
    Index(None, "user_id", "id"),
    CheckConstraint(
        "post_type IN ('completion', 'progress', 'streak', 'milestone')", name="post_type_values"
    ),
)
