"""Users and their tokens: revoked access tokens (logout), single-use mail tokens and refresh
token families (0004, issue 15)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from storage.tables.base import created_column, fk_column, id_column, metadata
from storage.types import Id, UTCDateTime

users = Table(
    "users",
    metadata,
    id_column(),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(100), nullable=False),
    Column("name", String(100), nullable=False),
    Column("university", String(150), nullable=False, default=""),
    Column("major", String(100), nullable=False, default=""),
    Column("year", String(50), nullable=False, default=""),
    Column("learning_style", Text, nullable=False, default=""),
    Column("subjects", JSON, nullable=False),
    Column("study_environments", JSON, nullable=False),
    Column("study_methods", JSON, nullable=False),
    Column("schedule", JSON, nullable=False),
    Column("performance_level", SmallInteger, nullable=False, default=3),
    Column("group_preferences", JSON, nullable=False),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("calendar_token", String(64), nullable=False, unique=True),
    Column("token_version", Integer, nullable=False, default=0),
    Column("total_minutes", Integer, nullable=False, default=0),
    # The attempt shown as "current"; the FK is added after the table (the two tables cycle).
    Column(
        "current_attempt_id",
        Id,
        ForeignKey(
            "constellation_attempts.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_users_current_attempt_id_constellation_attempts",
        ),
        nullable=True,
    ),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("email_verified_at", UTCDateTime(), nullable=True),  # 0004: verified .edu ownership
    CheckConstraint("performance_level BETWEEN 1 AND 5", name="performance_range"),
    # 0004: AUTOINCREMENT on SQLite, so a deleted account's id is never handed out again
    # (InnoDB keeps its counter across restarts since MariaDB 10.2.4).
    sqlite_autoincrement=True,
)


# Tokens logged out one by one (POST /api/auth/logout), kept until they would have expired.
# "Log out everywhere" needs no rows: it bumps users.token_version.
revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index(None, "expires_at"),
)


# Single-use mail tokens (email verification, password reset), stored as SHA-256 hashes.
account_tokens = Table(
    "account_tokens",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    Column("purpose", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    created_column(),
    Index(None, "user_id", "purpose"),
    CheckConstraint("purpose IN ('verify', 'reset')", name="purpose_values"),
)


# Refresh tokens (SHA-256 hashes), one family per login; each refresh spends one and adds the
# next. The access token issued with each is remembered, so revoking a family revokes it too.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    id_column(),
    fk_column("user_id", "users.id"),
    Column("family_id", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("access_token_id", String(64), nullable=False),
    Column("access_expires_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("spent_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    created_column(),
    Index(None, "family_id"),
    Index(None, "user_id"),
)
