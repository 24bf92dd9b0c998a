"""Recommendations and semantic search over the in-memory index (domain/matching_index.py keeps
it current; domain/matching_embeddings.py computes and stores the vectors)."""

from __future__ import annotations

import asyncio

from domain.errors import InvalidInput, ModelLoading, NotFound
from domain.matching_index import MatchingIndex
from domain.matching_records import (
    Recommendation,
    Recommendations,
    SearchHit,
    StudentRecord,
)
from matching.explain import create_group_explanation, explain_match
from matching.index import ProfileIndex
from matching.profile import Profile, format_schedule, normalise_subject
from matching.scoring import Match, Weights

SEARCH_WEIGHTS = Weights(subjects=0, schedule=0, style=1, performance=0, threshold=0)
# A caller without free times is matched with everyone (nothing can be ruled out); say so.
NO_SCHEDULE_HINT = (
    "Add the times you are free to your profile: we only suggest groups and partners you can "
    "actually meet with."
)


class MatchingService(MatchingIndex):
    """Queries. Scoring runs on the index's own executor thread, off the event loop."""

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
                self._executor, self._feasible, self._groups, seeker, limit, unavailable
            )
        if kind in {"partners", "both"}:
            partner_matches = await loop.run_in_executor(
                self._executor, self._feasible, self._students, seeker, limit, {user_id}
            )
        names = self._names_as_written_by(record)
        return Recommendations(
            # A row removed while the scoring thread ran (user deleted, group closed) is dropped.
            groups=[
                self._group_recommendation(seeker, m, names)
                for m in group_matches
                if m.id in self._cards and m.id in self._groups
            ],
            partners=[
                self._partner_recommendation(seeker, m, names)
                for m in partner_matches
                if m.id in self._records and m.id in self._students
            ],
            seeker=record,
            hint=None if seeker.has_schedule else NO_SCHEDULE_HINT,
            create_explanation=create_group_explanation(record.subjects, record.major),
        )

    def _feasible(
        self, index: ProfileIndex, seeker: Profile, limit: int, exclude: set[int]
    ) -> list[Match]:
        """Top matches the seeker can meet: the mask comes before the threshold and top-k."""
        return index.score(seeker, self.weights, limit, exclude, feasible_only=True)

    def _names_as_written_by(self, record: StudentRecord) -> dict[str, str]:
        """Subject display names, in the seeker's own spelling where they study it."""
        own = {normalise_subject(subject): subject for subject in record.subjects}
        return {**self._subject_names, **own}

    def _group_recommendation(
        self, seeker: Profile, match: Match, names: dict[str, str]
    ) -> Recommendation:
        candidate = self._groups.get(match.id)
        assert candidate is not None
        text = explain_match(match, seeker, candidate, names, self._goal_names)
        return Recommendation(
            "group",
            match,
            text,
            group=self._cards[match.id],
            schedule_text=format_schedule(candidate.schedule_mask),
        )

    def _partner_recommendation(
        self, seeker: Profile, match: Match, names: dict[str, str]
    ) -> Recommendation:
        candidate = self._students.get(match.id)
        assert candidate is not None
        text = explain_match(match, seeker, candidate, names, self._goal_names)
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
