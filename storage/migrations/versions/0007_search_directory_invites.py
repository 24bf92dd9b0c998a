"""search directory invites

issue 16: message full-text index (FTS5 / InnoDB FULLTEXT), invites. Reserved in the revision chain so that parallel work lands without
renumbering; a revision whose work has not landed is a no-op.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
