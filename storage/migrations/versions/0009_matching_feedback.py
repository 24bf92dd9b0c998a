"""matching feedback

issue 18: dismissed recommendation cards (groups, partners, suggested groups), per user and kind,
each until it expires.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('matching_dismissals',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=40), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('group', 'partner', 'suggested')", name=op.f('ck_matching_dismissals_kind_values')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_matching_dismissals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', 'target')
    )
    with op.batch_alter_table('matching_dismissals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matching_dismissals_user_id_expires_at'), ['user_id', 'expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('matching_dismissals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matching_dismissals_user_id_expires_at'))
    op.drop_table('matching_dismissals')
