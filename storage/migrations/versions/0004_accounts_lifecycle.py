"""accounts lifecycle

issue 15: email verification, reset tokens, refresh-token families, deletion. Reserved in the revision chain so that parallel work lands without
renumbering; a revision whose work has not landed is a no-op.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
