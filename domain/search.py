"""Full-text search over the messages of the caller's groups (the index: storage/search)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from domain.bulkhead import KeyedBulkhead
from domain.chat import Message
from domain.errors import InvalidInput
from domain.groups import GroupService
from domain.ports import UnitOfWorkFactory

# Words as both indexes tokenise them: runs of letters and digits. Everything else (quotes,
# `*`, `-`, parentheses, operators) only separates words, so nothing a user types reaches an
# engine's query syntax: storage quotes each word itself (storage/repositories/search.py).
_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 8
MAX_TERM_CHARS = 64


@dataclass(frozen=True)
class SearchHit:
    message: Message
    group_title: str


def search_terms(text: str) -> list[str]:
    """The query's words, lower-cased and in order, each searched as a word prefix."""
    terms: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text).casefold()):
        word = word[:MAX_TERM_CHARS]
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def fold(text: str) -> str:
    """Case and accents folded away, as the indexes compare words (for highlighting)."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class SearchService:
    def __init__(self, uow: UnitOfWorkFactory, reads: KeyedBulkhead | None = None) -> None:
        self._uow = uow
        # Per user, like history reads: a storm of searches must not starve everyone else.
        self.reads = reads or KeyedBulkhead(2, 16, "searches")

    async def search(
        self, user_id: int, text: str, group_id: int | None, before: int | None, limit: int
    ) -> tuple[list[SearchHit], bool, list[str]]:
        """Newest first; `before` is the id of the oldest hit already shown. Returns the hits,
        whether there are older ones, and the words searched (for highlighting)."""
        terms = search_terms(text)
        if not terms:
            raise InvalidInput(
                "Search for at least one word", {"q": "must contain a letter or a digit"}
            )
        async with self.reads.slot(user_id), self._uow() as uow:
            if group_id is not None:
                await GroupService.active_membership(uow, user_id, group_id)
            hits, has_more = await uow.search.messages(user_id, terms, group_id, before, limit)
        return hits, has_more, terms
