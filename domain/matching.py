"""Recommendations and semantic search over an in-memory index kept current on profile writes.

Nothing is read from the database per request: the index is built at start-up from stored
embeddings and refreshed when a profile or a membership changes (on this worker through the
event bus, on the others through the change feed). Embeddings are computed once per profile
write, off the event loop, and stored, so a restart never re-embeds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from domain.errors import InvalidInput, ModelLoading, NotFound
from domain.events import Event, MembershipChanged, ProfileChanged
from domain.ports import UnitOfWorkFactory
from matching.index import ProfileIndex, group_profile
from matching.profile import Profile, format_schedule, schedule_mask, subject_set
from matching.scoring import Match, Weights, explain

log = logging.getLogger("studysync.matching")
SEARCH_WEIGHTS = Weights(subjects=0, schedule=0, style=1, performance=0, threshold=0)
LOAD_PAGE = 2000
RELOAD = "matching:reload"  # change-feed kind: every worker rebuilds its index from storage


class TextEmbedder(Protocol):
    name: str
    state: str

    async def start(self) -> None: ...
    async def wait_ready(self, within_seconds: float) -> bool: ...
    async def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class StoredEmbedding:
    model: str
    text_sha256: str
    vector: bytes | None
    search_vector: bytes


@dataclass(frozen=True)
class StudentRecord:
    id: int
    name: str
    major: str
    year: str
    university: str
    subjects: list[str]
    schedule: dict[str, list[str]]
    performance_level: int
    learning_style: str
    embedding: StoredEmbedding | None

    @property
    def search_text(self) -> str:
        parts = [self.name, self.major, ", ".join(self.subjects), self.learning_style]
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class GroupCard:
    id: int
    title: str
    subject: str
    description: str
    schedule: str
    location: str
    max_members: int
    join_policy: str
    leader_name: str
    member_ids: tuple[int, ...]
    requester_ids: tuple[int, ...] = ()  # pending join requests: not offered back to them

    @property
    def is_full(self) -> bool:
        return len(self.member_ids) >= self.max_members

    @property
    def search_text(self) -> str:
        return " ".join(p for p in (self.title, self.subject, self.description) if p)


@dataclass(frozen=True)
class Recommendation:
    kind: str  # "group" | "partner"
    match: Match
    explanation: str
    group: GroupCard | None = None
    student: StudentRecord | None = None
    schedule_text: str = ""


@dataclass(frozen=True)
class Recommendations:
    groups: list[Recommendation]
    partners: list[Recommendation]
    seeker: StudentRecord


@dataclass(frozen=True)
class SearchHit:
    kind: str
    score: float
    student: StudentRecord | None = None
    group: GroupCard | None = None


def text_fingerprint(model: str, record: StudentRecord) -> str:
    text = f"{model}\n{record.learning_style}\n{record.search_text}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _vector(raw: bytes | None) -> np.ndarray | None:
    return None if raw is None else np.frombuffer(raw, dtype=np.float32).copy()


def is_stale(model: str, record: StudentRecord) -> bool:
    """No stored embedding, or one made by another model or from other text."""
    stored = record.embedding
    return stored is None or stored.text_sha256 != text_fingerprint(model, record)


async def embed_records(
    embedder: TextEmbedder, records: Sequence[StudentRecord]
) -> list[StoredEmbedding]:
    """Both vectors of each record (learning style, search text) in one encode call, off the
    loop. An empty learning style stores no style vector: that factor scores 0."""
    if not records:
        return []
    texts = [r.learning_style or " " for r in records] + [r.search_text or " " for r in records]
    vectors = await embedder.encode(texts)
    styles, searches = vectors[: len(records)], vectors[len(records) :]
    return [
        StoredEmbedding(
            embedder.name,
            text_fingerprint(embedder.name, record),
            style.tobytes() if record.learning_style.strip() else None,
            search.tobytes(),
        )
        for record, style, search in zip(records, styles, searches, strict=True)
    ]


async def store_embeddings(
    uow: Any, records: Sequence[StudentRecord], stored: Sequence[StoredEmbedding]
) -> None:
    """The one write path for embeddings (profile writes, start-up backfill, reindex)."""
    for record, embedding in zip(records, stored, strict=True):
        await uow.matching.store_embedding(
            record.id,
            embedding.model,
            embedding.text_sha256,
            embedding.vector,
            embedding.search_vector,
        )


@dataclass(frozen=True)
class ReindexResult:
    students: int  # profiles seen
    embedded: int  # profiles whose vectors were (re)computed and stored


async def reindex_students(
    uow_factory: UnitOfWorkFactory,
    embedder: TextEmbedder,
    *,
    batch_size: int = 64,
    only_stale: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReindexResult:
    """Re-embed every stored profile (or only those whose embedding is missing or stale), in
    batches, each batch stored in its own transaction. Running it again stores the same vectors:
    the model is deterministic and the fingerprint names model and text."""
    if batch_size < 1:
        raise InvalidInput("batch size must be at least 1", {"batchSize": "must be >= 1"})
    seen = embedded = 0
    after = 0
    while True:
        async with uow_factory() as uow:
            page = await uow.matching.students(after, batch_size)
        if not page:
            break
        after = page[-1].id
        todo = [r for r in page if not only_stale or is_stale(embedder.name, r)]
        stored = await embed_records(embedder, todo)
        if todo:
            async with uow_factory() as uow:
                await store_embeddings(uow, todo, stored)
                await uow.commit()
        seen += len(page)
        embedded += len(todo)
        if progress is not None:
            progress(len(page))
    return ReindexResult(seen, embedded)


class MatchingService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: TextEmbedder,
        weights: Weights,
        model_wait_seconds: float,
    ) -> None:
        self._uow = uow
        self.embedder = embedder
        self.weights = weights
        self._model_wait = model_wait_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching")
        self._students = ProfileIndex()
        self._student_search = ProfileIndex()
        self._groups = ProfileIndex()
        self._group_search = ProfileIndex()
        self._records: dict[int, StudentRecord] = {}
        self._cards: dict[int, GroupCard] = {}
        self._groups_of_user: dict[int, set[int]] = {}
        self._requests_of_user: dict[int, set[int]] = {}
        self._subject_names: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # Tells other workers (the change feed), when there are any.
        self.announce: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None

    # ---- start-up and refresh -------------------------------------------------------------

    async def start(self) -> None:
        """Build the index from storage, then load the model and embed what is missing."""
        await self.reload()
        self._spawn(self._load_model_then_backfill())

    async def reload(self) -> None:
        after = 0
        while True:
            async with self._uow() as uow:
                page = await uow.matching.students(after, LOAD_PAGE)
            self.index_students(page)
            if len(page) < LOAD_PAGE:
                break
            after = page[-1].id
        await self.refresh_groups(None)

    async def _load_model_then_backfill(self) -> None:
        await self.embedder.start()
        if self.embedder.state != "loaded":
            return
        if any(self._is_stale(r) for r in self._records.values()):
            await reindex_students(self._uow, self.embedder, only_stale=True)  # in batches
            await self.reload()
        await self._embed_group_texts(list(self._cards.values()))
        log.info("matching ready: %d students, %d groups", len(self._records), len(self._cards))

    def _is_stale(self, record: StudentRecord) -> bool:
        return is_stale(self.embedder.name, record)

    async def handle_event(self, event: object) -> None:
        """Event-bus subscriber: refresh in the background; the request never waits."""
        if isinstance(event, ProfileChanged):
            self._spawn(self.refresh_student(event.user_id, announce=True))
        elif isinstance(event, MembershipChanged):
            self._spawn(self.refresh_groups([event.group_id], announce=True))
        elif isinstance(event, Event) and event.name == "member:requested":
            self._spawn(self.refresh_groups([int(event.payload["groupId"])], announce=True))

    async def handle_remote_change(self, kind: str, payload: dict[str, Any]) -> None:
        """Another worker changed something: reload it from storage (never re-announce)."""
        if kind in {"resync", RELOAD}:
            await self.reload()
        elif kind == "matching:student":
            await self.refresh_student(int(payload["id"]))
        elif kind == "matching:group":
            await self.refresh_groups([int(payload["id"])])

    async def refresh_student(self, user_id: int, announce: bool = False) -> None:
        async with self._uow() as uow:
            record = await uow.matching.student(user_id)
        if record is None:
            self._forget_student(user_id)
            return
        if self._is_stale(record) and self.embedder.state == "loaded":
            record = await self._embed_and_store(record)
        self._index_student(record)
        groups = self._groups_of_user.get(user_id, set())
        if groups:
            await self.refresh_groups(sorted(groups))
        if announce and self.announce is not None:
            await self.announce("matching:student", {"id": user_id})

    async def _embed_and_store(self, record: StudentRecord) -> StudentRecord:
        (stored,) = await embed_records(self.embedder, [record])
        async with self._uow() as uow:
            await store_embeddings(uow, [record], [stored])
            await uow.commit()
        return replace(record, embedding=stored)

    async def refresh_groups(self, group_ids: list[int] | None, announce: bool = False) -> None:
        async with self._uow() as uow:
            cards = await uow.matching.groups(group_ids)
        seen = {card.id for card in cards}
        for group_id in set(group_ids or ()) - seen:
            self._forget_group(group_id)
        for card in cards:
            self._index_group(card)
        if self.embedder.state == "loaded":
            await self._embed_group_texts(cards)
        if announce and self.announce is not None:
            for group_id in group_ids or ():
                await self.announce("matching:group", {"id": group_id})

    async def _embed_group_texts(self, cards: list[GroupCard]) -> None:
        for start in range(0, len(cards), 256):
            batch = cards[start : start + 256]
            vectors = await self.embedder.encode([card.search_text or " " for card in batch])
            for card, vector in zip(batch, vectors, strict=True):
                self._group_search.upsert(Profile(card.id, frozenset(), 0, 3.0, vector))

    def index_students(self, records: Iterable[StudentRecord]) -> None:
        """Put stored profiles into the index as they are (no embedding, no storage)."""
        for record in records:
            self._index_student(record)

    def _index_student(self, record: StudentRecord) -> None:
        self._records[record.id] = record
        for subject in record.subjects:
            self._subject_names.setdefault(" ".join(subject.casefold().split()), subject)
        stored = record.embedding
        profile = Profile(
            record.id,
            subject_set(record.subjects),
            schedule_mask(record.schedule),
            float(record.performance_level),
            _vector(stored.vector) if stored else None,
        )
        self._students.upsert(profile)
        if stored is not None:
            search = _vector(stored.search_vector)
            self._student_search.upsert(Profile(record.id, frozenset(), 0, 3.0, search))

    def _forget_student(self, user_id: int) -> None:
        self._records.pop(user_id, None)
        self._students.remove(user_id)
        self._student_search.remove(user_id)

    def _index_group(self, card: GroupCard) -> None:
        self._unlink_group(card.id)
        self._cards[card.id] = card
        for user_id in card.member_ids:
            self._groups_of_user.setdefault(user_id, set()).add(card.id)
        for user_id in card.requester_ids:
            self._requests_of_user.setdefault(user_id, set()).add(card.id)
        members = [p for p in (self._students.get(u) for u in card.member_ids) if p is not None]
        profile = group_profile(card.id, members)
        if not profile.subjects and card.subject:
            profile = Profile(
                card.id,
                subject_set([card.subject]),
                profile.schedule_mask,
                profile.performance,
                profile.embedding,
            )
        self._groups.upsert(profile)

    def _unlink_group(self, group_id: int) -> None:
        card = self._cards.get(group_id)
        for user_id in card.member_ids if card else ():
            self._groups_of_user.get(user_id, set()).discard(group_id)
        for user_id in card.requester_ids if card else ():
            self._requests_of_user.get(user_id, set()).discard(group_id)

    def _forget_group(self, group_id: int) -> None:
        self._unlink_group(group_id)
        self._cards.pop(group_id, None)
        self._groups.remove(group_id)
        self._group_search.remove(group_id)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("matching refresh failed", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait for background refreshes (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel background refreshes and wait for them, while storage is still open."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- queries --------------------------------------------------------------------------

    async def _require_model(self) -> None:
        if not await self.embedder.wait_ready(self._model_wait):
            raise ModelLoading(
                "The matching model is still loading; try again in a few seconds"
                if self.embedder.state == "loading"
                else "The matching model failed to load"
            )

    async def _seeker(self, user_id: int) -> tuple[StudentRecord, Profile]:
        if user_id not in self._records:
            await self.refresh_student(user_id)
        record, profile = self._records.get(user_id), self._students.get(user_id)
        if record is None or profile is None:
            raise NotFound("User not found")
        return record, profile

    def _groups_not_to_offer(self, user_id: int) -> set[int]:
        """Full groups, and those the user is in or has asked to join."""
        mine = self._groups_of_user.get(user_id, set()) | self._requests_of_user.get(user_id, set())
        return mine | {gid for gid, card in self._cards.items() if card.is_full}

    async def recommend(self, user_id: int, kind: str, limit: int) -> Recommendations:
        await self._require_model()
        record, seeker = await self._seeker(user_id)
        unavailable = self._groups_not_to_offer(user_id)
        loop = asyncio.get_running_loop()
        group_matches: list[Match] = []
        partner_matches: list[Match] = []
        if kind in {"groups", "both"}:
            group_matches = await loop.run_in_executor(
                self._executor, self._groups.score, seeker, self.weights, limit, unavailable
            )
        if kind in {"partners", "both"}:
            partner_matches = await loop.run_in_executor(
                self._executor, self._students.score, seeker, self.weights, limit, {user_id}
            )
        return Recommendations(
            # A row removed while the scoring thread ran (user deleted, group closed) is dropped.
            groups=[
                self._group_recommendation(seeker, m)
                for m in group_matches
                if m.id in self._cards and m.id in self._groups
            ],
            partners=[
                self._partner_recommendation(seeker, m)
                for m in partner_matches
                if m.id in self._records and m.id in self._students
            ],
            seeker=record,
        )

    def _group_recommendation(self, seeker: Profile, match: Match) -> Recommendation:
        candidate = self._groups.get(match.id)
        assert candidate is not None
        text = explain(match, seeker, candidate, self._subject_names)
        return Recommendation(
            "group",
            match,
            text,
            group=self._cards[match.id],
            schedule_text=format_schedule(candidate.schedule_mask),
        )

    def _partner_recommendation(self, seeker: Profile, match: Match) -> Recommendation:
        candidate = self._students.get(match.id)
        assert candidate is not None
        text = explain(match, seeker, candidate, self._subject_names)
        return Recommendation(
            "partner",
            match,
            text,
            student=self._records[match.id],
            schedule_text=format_schedule(candidate.schedule_mask),
        )

    async def search(self, user_id: int, query: str, limit: int) -> list[SearchHit]:
        if not query.strip():
            raise InvalidInput("Enter something to search for", {"query": "must not be blank"})
        await self._require_model()
        (vector,) = await self.embedder.encode([query])
        probe = Profile(0, frozenset(), 0, 3.0, vector)
        loop = asyncio.get_running_loop()
        students = await loop.run_in_executor(
            self._executor, self._student_search.score, probe, SEARCH_WEIGHTS, limit, {user_id}
        )
        groups = await loop.run_in_executor(
            self._executor, self._group_search.score, probe, SEARCH_WEIGHTS, limit, set()
        )
        hits = [
            SearchHit("user", m.score, student=self._records[m.id])
            for m in students
            if m.id in self._records
        ] + [
            SearchHit("group", m.score, group=self._cards[m.id])
            for m in groups
            if m.id in self._cards
        ]
        hits.sort(key=lambda hit: -hit.score)
        return hits[:limit]

    def stats(self) -> dict[str, int]:
        return {"students": len(self._students), "groups": len(self._groups)}
