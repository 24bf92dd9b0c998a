"""replies mentions pins

issue 16: a message's reply parent, its mentions, and the group's pinned messages.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('message_replies',
    sa.Column('message_id', _ID, nullable=False),
    sa.Column('parent_id', _ID, nullable=True),
    sa.Column('parent_user_id', _ID, nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_replies_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['messages.id'], name=op.f('fk_message_replies_parent_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_user_id'], ['users.id'], name=op.f('fk_message_replies_parent_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('message_id')
    )
    with op.batch_alter_table('message_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_replies_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_replies_parent_user_id'), ['parent_user_id'], unique=False)

    op.create_table('message_mentions',
    sa.Column('message_id', _ID, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_mentions_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'user_id')
    )
    with op.batch_alter_table('message_mentions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_mentions_user_id'), ['user_id'], unique=False)

    op.create_table('message_pins',
    sa.Column('message_id', _ID, nullable=False),
    sa.Column('group_id', _ID, nullable=False),
    sa.Column('pinned_by', _ID, nullable=True),
    sa.Column('pinned_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_pins_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_message_pins_group_id_study_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pinned_by'], ['users.id'], name=op.f('fk_message_pins_pinned_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('message_id')
    )
    with op.batch_alter_table('message_pins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_pins_group_id_pinned_at'), ['group_id', 'pinned_at'], unique=False)


def downgrade() -> None:
    op.drop_table('message_pins')
    op.drop_table('message_mentions')
    op.drop_table('message_replies')
