"""accounts lifecycle

issue 15: email verification, reset tokens, refresh-token families, deletion.

- users.email_verified_at; on SQLite the table is rebuilt with AUTOINCREMENT so a deleted
  account's id is never reused (InnoDB's counter already persists).
- messages.user_id becomes nullable with ON DELETE SET NULL: a deleted author's messages stay,
  shown as "Deleted user".
- account_tokens (verification and reset tokens) and refresh_tokens (hashed, by family).

SQLite rebuilds tables here: storage/migrate.py runs migrations with foreign keys off (else the
DROP of the old table would cascade) and checks them before committing.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_MESSAGES_FK = 'fk_messages_user_id_users'


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade() -> None:
    users_kwargs: dict[str, Any] = (
        {'recreate': 'always', 'table_kwargs': {'sqlite_autoincrement': True}} if _sqlite() else {}
    )
    with op.batch_alter_table('users', **users_kwargs) as batch_op:
        batch_op.add_column(
            sa.Column('email_verified_at', storage.types.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(_MESSAGES_FK, type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=_ID, nullable=True)
        batch_op.create_foreign_key(_MESSAGES_FK, 'users', ['user_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'account_tokens',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('user_id', _ID, nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', storage.types.UTCDateTime(), nullable=False),
        sa.Column('used_at', storage.types.UTCDateTime(), nullable=True),
        sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('verify', 'reset')", name=op.f('ck_account_tokens_purpose_values')
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash')),
    )
    op.create_index(
        op.f('ix_account_tokens_user_id_purpose'), 'account_tokens', ['user_id', 'purpose']
    )
    op.create_table(
        'refresh_tokens',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('user_id', _ID, nullable=False),
        sa.Column('family_id', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('access_token_id', sa.String(length=64), nullable=False),
        sa.Column('access_expires_at', storage.types.UTCDateTime(), nullable=False),
        sa.Column('expires_at', storage.types.UTCDateTime(), nullable=False),
        sa.Column('spent_at', storage.types.UTCDateTime(), nullable=True),
        sa.Column('revoked_at', storage.types.UTCDateTime(), nullable=True),
        sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_refresh_tokens_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash')),
    )
    op.create_index(op.f('ix_refresh_tokens_family_id'), 'refresh_tokens', ['family_id'])
    op.create_index(op.f('ix_refresh_tokens_user_id'), 'refresh_tokens', ['user_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_refresh_tokens_user_id'), table_name='refresh_tokens')
    op.drop_index(op.f('ix_refresh_tokens_family_id'), table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_index(op.f('ix_account_tokens_user_id_purpose'), table_name='account_tokens')
    op.drop_table('account_tokens')
    op.execute('DELETE FROM messages WHERE user_id IS NULL')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(_MESSAGES_FK, type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=_ID, nullable=False)
        batch_op.create_foreign_key(_MESSAGES_FK, 'users', ['user_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
