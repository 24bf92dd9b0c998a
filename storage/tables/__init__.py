"""The schema (SQLAlchemy Core). Alembic migrations create it; a test checks they agree.

One module per area, all registering in the one `metadata` of `base.py`; every table is
re-exported here, so `from storage.tables import X` is the one way to name it. Deleting a user
must need nothing but ON DELETE CASCADE (or SET NULL) on every foreign key to users.id:
domain/accounts.py deletes the row and relies on the database for the rest."""

from storage.tables.accounts import account_tokens, refresh_tokens, revoked_tokens, users
from storage.tables.base import metadata
from storage.tables.chat import (
    SEARCH_INDEX_NAME,
    SEARCH_INDEX_TABLE,
    is_search_index,
    message_reactions,
    messages,
    notifications,
)
from storage.tables.groups import (
    group_invites,
    group_members,
    group_sessions,
    session_rsvps,
    study_groups,
)
from storage.tables.matching import matching_dismissals, user_embeddings
from storage.tables.progress import constellation_attempts, constellations, focus_sessions, posts
from storage.tables.safety import (
    group_mutes,
    message_holds,
    message_reports,
    notification_levels,
    push_subscriptions,
    user_blocks,
)
from storage.tables.threads import message_mentions, message_pins, message_replies
from storage.tables.uploads import message_uploads, uploads

__all__ = [
    "SEARCH_INDEX_NAME",
    "SEARCH_INDEX_TABLE",
    "account_tokens",
    "constellation_attempts",
    "constellations",
    "focus_sessions",
    "group_invites",
    "group_members",
    "group_mutes",
    "group_sessions",
    "is_search_index",
    "matching_dismissals",
    "message_holds",
    "message_mentions",
    "message_pins",
    "message_reactions",
    "message_replies",
    "message_reports",
    "message_uploads",
    "messages",
    "metadata",
    "notification_levels",
    "notifications",
    "posts",
    "push_subscriptions",
    "refresh_tokens",
    "revoked_tokens",
    "session_rsvps",
    "study_groups",
    "uploads",
    "user_blocks",
    "user_embeddings",
    "users",
]
