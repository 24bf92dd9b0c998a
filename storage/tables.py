"""The schema (SQLAlchemy Core). Alembic migrations create it; a test checks they agree."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import Emoji, Id, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _fk(
    name: str, target: str, *, ondelete: str = "CASCADE", nullable: bool = False
) -> Column[int]:
    return Column(name, Id, ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _created() -> Column[object]:
    return Column("created_at", UTCDateTime(), nullable=False)


users = Table(
    "users",
    metadata,
    _id(),
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
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("email_verified_at", UTCDateTime(), nullable=True),  # 0004: verified .edu ownership
    CheckConstraint("performance_level BETWEEN 1 AND 5", name="performance_range"),
    # 0004: AUTOINCREMENT on SQLite, so a deleted account's id is never handed out again
    # (InnoDB keeps its counter across restarts since MariaDB 10.2.4).
    sqlite_autoincrement=True,
)

user_embeddings = Table(
    "user_embeddings",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(200), nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=True),  # learning style: float32, L2-normalised
    Column("search_vector", LargeBinary, nullable=False),  # name, major, subjects and style
    Column("updated_at", UTCDateTime(), nullable=False),
)

study_groups = Table(
    "study_groups",
    metadata,
    _id(),
    Column("title", String(100), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("schedule", String(200), nullable=False, default="Flexible"),
    Column("location", String(200), nullable=False, default="TBD"),
    Column("max_members", Integer, nullable=False, default=6),
    Column("join_policy", String(16), nullable=False, default="open"),
    Column("status", String(16), nullable=False, default="active"),
    _fk("leader_id", "users.id", ondelete="RESTRICT"),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("max_members BETWEEN 2 AND 50", name="max_members_range"),
    CheckConstraint("join_policy IN ('open', 'approval')", name="join_policy_values"),
    CheckConstraint("status IN ('active', 'closed')", name="status_values"),
)

group_members = Table(
    "group_members",
    metadata,
    _id(),
    _fk("group_id", "study_groups.id"),
    _fk("user_id", "users.id"),
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

messages = Table(
    "messages",
    metadata,
    _id(),  # auto-increment: ids sort in creation order, which makes them the history cursor
    _fk("group_id", "study_groups.id"),
    # 0004: NULL once the author deleted their account ("Deleted user"); see domain/accounts.py.
    _fk("user_id", "users.id", ondelete="SET NULL", nullable=True),
    Column("content", Text, nullable=False),
    Column("message_type", String(16), nullable=False, default="text"),
    Column("image_url", String(2048), nullable=True),
    Column("client_id", String(64), nullable=True),
    _created(),
    Column("edited_at", UTCDateTime(), nullable=True),
    # Retried sends with the same clientId hit this constraint (NULL client ids never collide).
    UniqueConstraint("group_id", "user_id", "client_id"),
    Index(None, "group_id", "id"),
    CheckConstraint(
        "message_type IN ('text', 'image', 'announcement')", name="message_type_values"
    ),
)

message_reactions = Table(
    "message_reactions",
    metadata,
    _id(),
    _fk("message_id", "messages.id"),
    _fk("user_id", "users.id"),
    Column("emoji", Emoji(), nullable=False),
    _created(),
    UniqueConstraint("message_id", "user_id", "emoji"),
)

group_sessions = Table(
    "group_sessions",
    metadata,
    _id(),
    _fk("group_id", "study_groups.id"),
    _fk("created_by", "users.id"),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("location", String(200), nullable=False),
    Column("scheduled_time", UTCDateTime(), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False, default="scheduled"),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "group_id", "scheduled_time"),
    CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="duration_range"),
    CheckConstraint("status IN ('scheduled', 'cancelled')", name="status_values"),
)

session_rsvps = Table(
    "session_rsvps",
    metadata,
    _id(),
    _fk("session_id", "group_sessions.id"),
    _fk("user_id", "users.id"),
    Column("status", String(16), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("session_id", "user_id"),
    CheckConstraint("status IN ('going', 'maybe', 'not_going')", name="status_values"),
)

notifications = Table(
    "notifications",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    Column("type", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("message", String(500), nullable=False),
    Column("data", JSON, nullable=False),
    Column("read", Boolean, nullable=False, default=False),
    _created(),
    Index(None, "user_id", "id"),
)

constellations = Table(
    "constellations",
    metadata,
    _id(),
    Column("name", String(100), nullable=False),
    Column("weight", Integer, nullable=False),
    _fk("created_by", "users.id", ondelete="SET NULL", nullable=True),
    _created(),
    CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
)

constellation_attempts = Table(
    "constellation_attempts",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    _fk("constellation_id", "constellations.id", ondelete="RESTRICT"),
    Column("stars_completed", Integer, nullable=False, default=0),
    Column("completed_at", UTCDateTime(), nullable=True),
    _created(),
    Index(None, "user_id", "id"),
)

focus_sessions = Table(
    "focus_sessions",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    _fk("constellation_attempt_id", "constellation_attempts.id"),
    Column("minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("completed_at", UTCDateTime(), nullable=True),
    _created(),
    Index(None, "user_id", "status"),
    CheckConstraint("minutes BETWEEN 1 AND 600", name="minutes_range"),
    CheckConstraint("status IN ('pending', 'completed', 'cancelled')", name="status_values"),
)

posts = Table(
    "posts",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    _fk("constellation_id", "constellations.id", ondelete="RESTRICT"),
    Column("post_type", String(16), nullable=False),
    Column("message", Text, nullable=True),
    Column("study_duration", Integer, nullable=True),
    _created(),
    Index(None, "user_id", "id"),
    CheckConstraint(
        "post_type IN ('completion', 'progress', 'streak', 'milestone')", name="post_type_values"
    ),
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


# ---- 0004 accounts lifecycle (issue 15) ----------------------------------------------------------
# Deleting a user must need nothing but ON DELETE CASCADE (or SET NULL) on every foreign key to
# users.id: domain/accounts.py deletes the row and relies on the database for the rest.

# Single-use mail tokens (email verification, password reset), stored as SHA-256 hashes.
account_tokens = Table(
    "account_tokens",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    Column("purpose", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    _created(),
    Index(None, "user_id", "purpose"),
    CheckConstraint("purpose IN ('verify', 'reset')", name="purpose_values"),
)

# Refresh tokens (SHA-256 hashes), one family per login; each refresh spends one and adds the
# next. The access token issued with each is remembered, so revoking a family revokes it too.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    Column("family_id", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("access_token_id", String(64), nullable=False),
    Column("access_expires_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("spent_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    _created(),
    Index(None, "family_id"),
    Index(None, "user_id"),
)

# --- issue 16: message search and group invites (migration 0007) -------------------------------
# Invite links: `code` is the unguessable capability (secrets.token_urlsafe(24), 192 bits).
# max_uses NULL = unlimited; uses is counted by a conditional UPDATE (one statement, atomic).
group_invites = Table(
    "group_invites",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    _fk("group_id", "study_groups.id"),
    _fk("created_by", "users.id"),
    Column("max_uses", Integer, nullable=True),
    Column("uses", Integer, nullable=False, default=0),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    _created(),
    Index(None, "group_id", "id"),
    CheckConstraint("max_uses IS NULL OR max_uses BETWEEN 1 AND 100", name="max_uses_range"),
)

# The message full-text index is engine-specific DDL made by migration 0007 and not described by
# this metadata: SQLite's FTS5 table (and its shadow tables) and MariaDB's FULLTEXT index.
# tests/storage/test_schema.py leaves these names out of the comparison.
SEARCH_INDEX_TABLE = "messages_fts"
SEARCH_INDEX_NAME = "ix_messages_content_fulltext"


def is_search_index(name: str | None) -> bool:
    return bool(name) and (name == SEARCH_INDEX_NAME or str(name).startswith(SEARCH_INDEX_TABLE))

# ---- issue 16: replies, mentions, pins (migration 0006) ----------------------------------------

# A reply's parent. The parent may be deleted (SET NULL: the reply then shows a deleted parent)
# and so may its author's account (SET NULL: no name); the reply itself goes with its message.
message_replies = Table(
    "message_replies",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    _fk("parent_id", "messages.id", ondelete="SET NULL", nullable=True),
    _fk("parent_user_id", "users.id", ondelete="SET NULL", nullable=True),
    Index(None, "parent_id"),
    Index(None, "parent_user_id"),
)

message_mentions = Table(
    "message_mentions",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "user_id"),
)

message_pins = Table(
    "message_pins",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    _fk("group_id", "study_groups.id"),
    _fk("pinned_by", "users.id", ondelete="SET NULL", nullable=True),
    Column("pinned_at", UTCDateTime(), nullable=False),
    Index(None, "group_id", "pinned_at"),
)

# ---- issue 18: matching feedback (migration 0009) ----------------------------------------------
# A card the user dismissed (POST /api/recommend/dismiss): kind "group" | "partner" (target = the
# id) or "suggested" (target = the proposal key), hidden until expires_at.
matching_dismissals = Table(
    "matching_dismissals",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("target", String(40), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    _created(),
    Index(None, "user_id", "expires_at"),
    CheckConstraint("kind IN ('group', 'partner', 'suggested')", name="kind_values"),
)

# ---- uploads (issue 16) -------------------------------------------------------------------
# An uploaded image and its thumbnail, each a blob under its own random key (the capability in
# its URL). Rows go with their owner (ON DELETE CASCADE: account deletion relies on it).
uploads = Table(
    "uploads",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    Column("blob_key", String(64), nullable=False, unique=True),
    Column("thumbnail_key", String(64), nullable=False, unique=True),
    Column("content_type", String(32), nullable=False),
    Column("thumbnail_content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("thumbnail_size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    _created(),
    Index(None, "user_id"),
)
# The upload an image message carries (sent with uploadId). A table of its own, not a column of
# `messages`: SQLite cannot add a named foreign key to a table in place, and rebuilding
# `messages` would cascade-delete its reactions.
message_uploads = Table(
    "message_uploads",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    _fk("upload_id", "uploads.id"),
    Index(None, "upload_id"),
)

# ---- issue 17: moderation and push (migration 0008) ----------------------------------------

# A user hides another: their messages carry hiddenByBlock for the blocker, their mentions of
# the blocker notify nobody, and matching never pairs the two (either direction).
user_blocks = Table(
    "user_blocks",
    metadata,
    _id(),
    _fk("blocker_id", "users.id"),
    _fk("blocked_id", "users.id"),
    _created(),
    UniqueConstraint("blocker_id", "blocked_id"),
    Index(None, "blocked_id"),
    CheckConstraint("blocker_id <> blocked_id", name="not_self"),
)

# One report per (message, reporter): the unique row makes "3 distinct reporters" a count.
message_reports = Table(
    "message_reports",
    metadata,
    _id(),
    _fk("message_id", "messages.id"),
    _fk("group_id", "study_groups.id"),
    _fk("reporter_id", "users.id"),
    Column("reason", String(16), nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Column("resolution", String(16), nullable=True),  # None open | restored | deleted
    _created(),
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
    _created(),
)

# A leader mutes a member until `until`; kept when they leave, so leaving does not unmute.
group_mutes = Table(
    "group_mutes",
    metadata,
    _id(),
    _fk("group_id", "study_groups.id"),
    _fk("user_id", "users.id"),
    _fk("muted_by", "users.id"),
    Column("until", UTCDateTime(), nullable=False),
    _created(),
    UniqueConstraint("group_id", "user_id"),
)

# Per member and group: which events push (and notify) them; no row means "all".
notification_levels = Table(
    "notification_levels",
    metadata,
    _id(),
    _fk("group_id", "study_groups.id"),
    _fk("user_id", "users.id"),
    Column("level", String(16), nullable=False),
    UniqueConstraint("group_id", "user_id"),
    CheckConstraint("level IN ('all', 'mentions', 'none')", name="level_values"),
)

# Web Push subscriptions (endpoint + browser keys) and native device tokens (endpoint = the
# token). An endpoint belongs to one user: subscribing it again moves it (a shared browser).
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    Column("platform", String(8), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("endpoint_sha256", String(64), nullable=False, unique=True),
    Column("p256dh", String(128), nullable=False, default=""),
    Column("auth", String(64), nullable=False, default=""),
    _created(),
    Index(None, "user_id"),
    CheckConstraint("platform IN ('web', 'fcm', 'apns')", name="platform_values"),
)
