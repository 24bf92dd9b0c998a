"""uploads

issue 16: uploaded images (a row per image + thumbnail, owned by a user, cascading with the
account) and image messages by uploadId (message_uploads: message -> upload).

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('uploads',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('user_id', Id, nullable=False),
    sa.Column('blob_key', sa.String(length=64), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('thumbnail_content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('thumbnail_size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_uploads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('blob_key', name=op.f('uq_uploads_blob_key')),
    sa.UniqueConstraint('thumbnail_key', name=op.f('uq_uploads_thumbnail_key'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_user_id'), ['user_id'], unique=False)
    op.create_table('message_uploads',
    sa.Column('message_id', Id, nullable=False),
    sa.Column('upload_id', Id, nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_uploads_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_message_uploads_upload_id_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id')
    )
    with op.batch_alter_table('message_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_uploads_upload_id'), ['upload_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_uploads_upload_id'))
    op.drop_table('message_uploads')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_user_id'))
    op.drop_table('uploads')
