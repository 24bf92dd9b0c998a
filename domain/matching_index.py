"""The matching index's upkeep. Nothing is read from the database per request: the index is
built at start-up from stored embeddings and refreshed when a profile or a membership changes (on
this worker through the event bus, on the others through the change feed). Embeddings are
computed once per profile write, off the event loop, and stored, so a restart never re-embeds."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from domain.events import MemberRequested, MembershipChanged, ProfileChanged
from domain.matching_embeddings import (
    RELOAD,
    embed_records,
    is_stale,
    reindex_students,
    store_embeddings,
)
from domain.matching_records import GroupCard, StudentRecord, TextEmbedder
from domain.ports import Publisher, UnitOfWorkFactory
from matching.index import ProfileIndex, group_profile
from matching.profile import Profile, goal_set, normalise_subject, schedule_mask, subject_set
from matching.scoring import Weights

log = logging.getLogger("studysync.matching")
LOAD_PAGE = 2000

# Who the caller must never be shown (blocked, either way): user id -> ids. Injected by wiring.
ExcludedIds = Callable[[int], Awaitable[frozenset[int]]]


async def nobody_excluded(user_id: int) -> frozenset[int]:
    return frozenset()


def _vector(raw: bytes | None) -> np.ndarray | None:
    return None if raw is None else np.frombuffer(raw, dtype=np.float32).copy()


class MatchingIndex:
    """The in-memory index and its upkeep: built from storage at start-up, backfilled once the
    model is loaded, refreshed on this worker's events and on other workers' change-feed
    notes. MatchingService (domain/matching.py) answers queries over it."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embedder: TextEmbedder,
        weights: Weights,
        model_wait_seconds: float,
        *,
        excluded_ids: ExcludedIds = nobody_excluded,
        publisher: Publisher | None = None,
        dismiss_days: int = 30,
    ) -> None:
        self._uow = uow
        self.embedder = embedder
        self.weights = weights
        self._model_wait = model_wait_seconds
        self.excluded_ids = excluded_ids
        self._publisher = publisher
        self.dismiss_days = dismiss_days
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching")
        self._students = ProfileIndex()
        self._student_search = ProfileIndex()
        self._groups = ProfileIndex()
        self._group_search = ProfileIndex()
        self._records: dict[int, StudentRecord] = {}
        self._cards: dict[int, GroupCard] = {}
        self._groups_of_user: dict[int, set[int]] = {}
        self._requests_of_user: dict[int, set[int]] = {}
        # normalised subject -> active members of groups for it (how many such groups each)
        self._grouped: dict[str, Counter[int]] = {}
        self._subject_names: dict[str, str] = {}
        self._goal_names: dict[str, str] = {}  # normalised goal -> a spelling students used
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

    # Event-bus handlers (wiring subscribes them): refresh in the background, the request never
    # waits. A join request changes the group's card too (the seeker's pending groups).

    async def on_profile_changed(self, event: ProfileChanged) -> None:
        self._spawn(self.refresh_student(event.user_id, announce=True))

    async def on_membership_changed(self, event: MembershipChanged) -> None:
        self._spawn(self.refresh_groups([event.group_id], announce=True))

    async def on_member_requested(self, event: MemberRequested) -> None:
        self._spawn(self.refresh_groups([event.group_id], announce=True))

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
                subjects = subject_set([card.subject])  # for subject filters
                self._group_search.upsert(Profile(card.id, subjects, 0, 3.0, vector))

    def index_students(self, records: Iterable[StudentRecord]) -> None:
        """Put stored profiles into the index as they are (no embedding, no storage)."""
        for record in records:
            self._index_student(record)

    def _index_student(self, record: StudentRecord) -> None:
        self._records[record.id] = record
        for subject in record.subjects:
            self._subject_names.setdefault(normalise_subject(subject), subject)
        for goal in record.study_goals:
            self._goal_names.setdefault(normalise_subject(goal), goal)
        stored = record.embedding
        profile = Profile(
            record.id,
            subject_set(record.subjects),
            schedule_mask(record.schedule),
            float(record.performance_level),
            _vector(stored.vector) if stored else None,
            goals=goal_set(record.study_goals),
            preferred_size=record.group_size,
        )
        self._students.upsert(profile)
        if stored is not None:
            search = _vector(stored.search_vector)
            # Subjects only for subject filters: search scores the vector alone.
            self._student_search.upsert(Profile(record.id, profile.subjects, 0, 3.0, search))

    def _forget_student(self, user_id: int) -> None:
        self._records.pop(user_id, None)
        self._students.remove(user_id)
        self._student_search.remove(user_id)

    def _index_group(self, card: GroupCard) -> None:
        self._unlink_group(card.id)
        self._cards[card.id] = card
        for user_id in card.member_ids:
            self._groups_of_user.setdefault(user_id, set()).add(card.id)
        self._grouped.setdefault(normalise_subject(card.subject), Counter()).update(card.member_ids)
        for user_id in card.requester_ids:
            self._requests_of_user.setdefault(user_id, set()).add(card.id)
        members = [p for p in (self._students.get(u) for u in card.member_ids) if p is not None]
        # Flexible: a member without a schedule constrains nothing (feasibility, docs/matching.md).
        profile = group_profile(card.id, members, flexible=True)
        if not profile.subjects and card.subject:
            profile = replace(profile, subjects=subject_set([card.subject]))
        self._groups.upsert(profile)

    def _unlink_group(self, group_id: int) -> None:
        card = self._cards.get(group_id)
        for user_id in card.member_ids if card else ():
            self._groups_of_user.get(user_id, set()).discard(group_id)
        if card is not None:
            grouped = self._grouped.get(normalise_subject(card.subject), Counter())
            grouped.subtract(card.member_ids)
            for user_id in card.member_ids:
                if grouped[user_id] <= 0:
                    del grouped[user_id]
        for user_id in card.requester_ids if card else ():
            self._requests_of_user.get(user_id, set()).discard(group_id)

    def _forget_group(self, group_id: int) -> None:
        self._unlink_group(group_id)
        self._cards.pop(group_id, None)
        self._groups.remove(group_id)
        self._group_search.remove(group_id)

    @property
    def pending_refreshes(self) -> int:
        """Background refreshes (embeddings, the model load) not finished yet."""
        return len(self._tasks)

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
