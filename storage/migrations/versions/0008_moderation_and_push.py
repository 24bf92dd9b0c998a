"""moderation and push

issue 17: blocks, reports, mutes, push subscriptions, notification levels. Reserved in the revision chain so that parallel work lands without
renumbering; a revision whose work has not landed is a no-op.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
