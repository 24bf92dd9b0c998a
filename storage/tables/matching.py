"""Matching: stored embeddings and feedback (issue 18, migration 0009)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, LargeBinary, String, Table

from storage.tables.base import created_column, metadata
from storage.types import Id, UTCDateTime

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


# A card the user dismissed (POST /api/recommend/dismiss): kind "group" | "partner" (target = the
# id) or "suggested" (target = the proposal key), hidden until expires_at.
matching_dismissals = Table(
    "matching_dismissals",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("target", String(40), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    created_column(),
    Index(None, "user_id", "expires_at"),
    CheckConstraint("kind IN ('group', 'partner', 'suggested')", name="kind_values"),
)
