"""Message search through the engine's full-text index (migration 0007): FTS5 MATCH on SQLite,
MATCH … AGAINST in boolean mode on MariaDB. Never a LIKE scan of the messages."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.search import SearchHit
from storage.repositories.chat import load_messages
from storage.tables import SEARCH_INDEX_NAME, study_groups

# The smallest word MariaDB's InnoDB FULLTEXT index holds (innodb_ft_min_token_size, default 3;
# read-only at run time). Shorter query words would never match there, so they are left out.
MARIADB_MIN_TOKEN = 3

_ACTIVE_GROUPS = (
    "SELECT gm.group_id FROM group_members gm WHERE gm.user_id = :user_id AND gm.status = 'active'"
)


def fts5_query(terms: list[str]) -> str:
    """Each word as a quoted FTS5 string with a prefix star, all required. A word is letters and
    digits only (domain/search.py), so it cannot close the quotes; words such as NEAR, AND or
    MATCH are plain strings inside them."""
    return " ".join(f'"{term}"*' for term in terms)


def boolean_query(terms: list[str], min_token: int = MARIADB_MIN_TOKEN) -> str:
    """MariaDB boolean mode: `+word*` per word long enough to be indexed ('' when none is)."""
    return " ".join(f"+{term}*" for term in terms if len(term) >= min_token)


def search_statement(dialect: str, group_id: int | None, before: int | None) -> str:
    """The SQL of one page of hits, newest first (one id more than the page: hasMore)."""
    if dialect == "sqlite":
        # FTS5 walks its rowids in descending order itself, so LIMIT stops the walk early.
        key = "messages_fts.rowid"
        source = "messages_fts JOIN messages m ON m.id = messages_fts.rowid"
        matches = "messages_fts MATCH :match"
    else:
        key = "m.id"
        # Otherwise, on a cursor page, the optimiser may walk the primary key from `before`
        # down and test MATCH row by row: a scan of every older message when few match.
        source = f"messages m FORCE INDEX ({SEARCH_INDEX_NAME})"
        matches = "MATCH (m.content) AGAINST (:match IN BOOLEAN MODE)"
    sql = f"SELECT m.id FROM {source} WHERE {matches} AND m.group_id IN ({_ACTIVE_GROUPS})"
    if group_id is not None:
        sql += " AND m.group_id = :group_id"
    if before is not None:
        sql += f" AND {key} < :before"
    return sql + f" ORDER BY {key} DESC LIMIT :limit"


def match_expression(dialect: str, terms: list[str]) -> str:
    return fts5_query(terms) if dialect == "sqlite" else boolean_query(terms)


class SqlSearchRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def messages(
        self,
        user_id: int,
        terms: list[str],
        group_id: int | None,
        before: int | None,
        limit: int,
    ) -> tuple[list[SearchHit], bool]:
        dialect = self._db.dialect.name
        match = match_expression(dialect, terms)
        if not match:
            return [], False
        params: dict[str, object] = {"match": match, "user_id": user_id, "limit": limit + 1}
        if group_id is not None:
            params["group_id"] = group_id
        if before is not None:
            params["before"] = before
        statement = text(search_statement(dialect, group_id, before))
        ids = [row[0] for row in await self._db.execute(statement, params)]
        has_more = len(ids) > limit
        found = await load_messages(self._db, ids[:limit])
        titles = await self._titles({message.group_id for message in found})
        newest_first = sorted(found, key=lambda message: message.id, reverse=True)
        return [SearchHit(m, titles[m.group_id]) for m in newest_first], has_more

    async def _titles(self, group_ids: set[int]) -> dict[int, str]:
        if not group_ids:
            return {}
        query = select(study_groups.c.id, study_groups.c.title).where(
            study_groups.c.id.in_(bindparam("ids", expanding=True))
        )
        rows = await self._db.execute(query, {"ids": sorted(group_ids)})
        return {group_id: title for group_id, title in rows}
