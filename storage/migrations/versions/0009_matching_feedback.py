"""matching feedback

issue 18: dismissed suggestions. Reserved in the revision chain so that parallel work lands without
renumbering; a revision whose work has not landed is a no-op.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
