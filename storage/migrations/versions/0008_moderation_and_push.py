"""moderation and push

issue 17: blocks, reports, message holds, mutes, notification levels and push subscriptions.
Every row a user owns goes with the user (ON DELETE CASCADE).

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _id() -> sa.Column:
    return sa.Column('id', ID, autoincrement=True, nullable=False)


def _ref(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = op.f(f'fk_{table}_{column}_{target}')
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=name, ondelete='CASCADE')


def _created() -> sa.Column:
    return sa.Column('created_at', storage.types.UTCDateTime(), nullable=False)


def upgrade() -> None:
    op.create_table('user_blocks',
    _id(),
    sa.Column('blocker_id', ID, nullable=False),
    sa.Column('blocked_id', ID, nullable=False),
    _created(),
    sa.CheckConstraint('blocker_id <> blocked_id', name=op.f('ck_user_blocks_not_self')),
    _ref('user_blocks', 'blocker_id', 'users'),
    _ref('user_blocks', 'blocked_id', 'users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('blocker_id', 'blocked_id', name=op.f('uq_user_blocks_blocker_id_blocked_id'))
    )
    with op.batch_alter_table('user_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_blocks_blocked_id'), ['blocked_id'], unique=False)

    op.create_table('message_reports',
    _id(),
    sa.Column('message_id', ID, nullable=False),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('reporter_id', ID, nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    _created(),
    sa.CheckConstraint("reason IN ('spam', 'harassment', 'inappropriate', 'other')", name=op.f('ck_message_reports_reason_values')),
    _ref('message_reports', 'message_id', 'messages'),
    _ref('message_reports', 'group_id', 'study_groups'),
    _ref('message_reports', 'reporter_id', 'users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id', 'reporter_id', name=op.f('uq_message_reports_message_id_reporter_id'))
    )
    with op.batch_alter_table('message_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_reports_resolution_id'), ['resolution', 'id'], unique=False)

    op.create_table('message_holds',
    sa.Column('message_id', ID, nullable=False),
    _created(),
    _ref('message_holds', 'message_id', 'messages'),
    sa.PrimaryKeyConstraint('message_id')
    )

    op.create_table('group_mutes',
    _id(),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('muted_by', ID, nullable=False),
    sa.Column('until', storage.types.UTCDateTime(), nullable=False),
    _created(),
    _ref('group_mutes', 'group_id', 'study_groups'),
    _ref('group_mutes', 'user_id', 'users'),
    _ref('group_mutes', 'muted_by', 'users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_group_mutes_group_id_user_id'))
    )

    op.create_table('notification_levels',
    _id(),
    sa.Column('group_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.CheckConstraint("level IN ('all', 'mentions', 'none')", name=op.f('ck_notification_levels_level_values')),
    _ref('notification_levels', 'group_id', 'study_groups'),
    _ref('notification_levels', 'user_id', 'users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_notification_levels_group_id_user_id'))
    )

    op.create_table('push_subscriptions',
    _id(),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('platform', sa.String(length=8), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('endpoint_sha256', sa.String(length=64), nullable=False),
    sa.Column('p256dh', sa.String(length=128), nullable=False),
    sa.Column('auth', sa.String(length=64), nullable=False),
    _created(),
    sa.CheckConstraint("platform IN ('web', 'fcm', 'apns')", name=op.f('ck_push_subscriptions_platform_values')),
    _ref('push_subscriptions', 'user_id', 'users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('endpoint_sha256', name=op.f('uq_push_subscriptions_endpoint_sha256'))
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    for table in ('push_subscriptions', 'notification_levels', 'group_mutes', 'message_holds',
                  'message_reports', 'user_blocks'):
        op.drop_table(table)
