"""replies mentions pins

issue 16: replies, mentions, pins. Reserved in the revision chain so that parallel work lands without
renumbering; a revision whose work has not landed is a no-op.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
