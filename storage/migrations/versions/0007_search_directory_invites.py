"""search directory invites

issue 16: the message full-text index (SQLite FTS5 / MariaDB InnoDB FULLTEXT) and group invites.

SQLite: an external-content FTS5 table over messages.content (the text is not stored twice),
kept in step by three triggers on messages (insert, delete, update of content). MariaDB: a
FULLTEXT index on messages.content, which InnoDB keeps in step itself. Either way every write
path (send, edit, delete, a group closed by cascade) is covered without code in the
repositories. The FULLTEXT index is built with innodb_ft_enable_stopword off, so words such as
"the" or "about" are searchable; innodb_ft_min_token_size (3 by default) still leaves words of
one or two letters out of the index (docs/chat.md "Search").

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
    " END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
    " INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    # Messages stored before this revision.
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
]
_MARIADB_UP = [
    # Read when the index is built: the index then holds stopwords too.
    "SET SESSION innodb_ft_enable_stopword = OFF",
    "CREATE FULLTEXT INDEX ix_messages_content_fulltext ON messages (content)",
    "SET SESSION innodb_ft_enable_stopword = ON",
]
_MARIADB_DOWN = ["DROP INDEX ix_messages_content_fulltext ON messages"]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(_SQLITE_UP)
    elif dialect == "mysql":
        _run(_MARIADB_UP)
    op.create_table('group_invites',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('max_uses IS NULL OR max_uses BETWEEN 1 AND 100', name=op.f('ck_group_invites_max_uses_range')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_group_invites_created_by_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_group_invites_group_id_study_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name=op.f('uq_group_invites_code'))
    )
    with op.batch_alter_table('group_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_invites_group_id_id'), ['group_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('group_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_invites_group_id_id'))
    op.drop_table('group_invites')
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(_SQLITE_DOWN)
    elif dialect == "mysql":
        _run(_MARIADB_DOWN)
