"""Recommendations and semantic search over the in-memory index (domain/matching_index.py keeps
it current; domain/matching_embeddings.py computes and stores the vectors)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from domain.errors import InvalidInput
from domain.matching_records import (
    Recommendation,
    Recommendations,
    SearchHit,
    StudentRecord,
    SuggestedCard,
)
from domain.matching_suggestions import MatchingSuggestions
from matching.explain import create_group_explanation, explain_match
from matching.index import ProfileIndex
from matching.profile import Profile, format_schedule, normalise_subject, subject_set
from matching.scoring import Match, Weights

SEARCH_WEIGHTS = Weights(subjects=0, schedule=0, style=1, performance=0, threshold=0)
# A caller without free times is matched with everyone (nothing can be ruled out); say so.
NO_SCHEDULE_HINT = (
    "Add the times you are free to your profile: we only suggest groups and partners you can "
    "actually meet with."
)


class MatchingService(MatchingSuggestions):
    """Queries. Scoring runs on the index's own executor thread, off the event loop."""

    def _groups_not_to_offer(self, user_id: int) -> set[int]:
        """Full groups, and those the user is in or has asked to join."""
        mine = self._groups_of_user.get(user_id, set()) | self._requests_of_user.get(user_id, set())
        return mine | {gid for gid, card in self._cards.items() if card.is_full}

    async def recommend(self, user_id: int, kind: str, limit: int) -> Recommendations:
        """kind: "groups" | "partners" | "suggested" | "both" (groups, partners and
        suggested groups). Dismissed cards and excluded users are masked in the index, before
        the top-k, so they never shorten the list below `limit`."""
        await self._require_model()
        record, seeker = await self._seeker(user_id)
        feedback = await self.feedback(user_id)
        names = self._names_as_written_by(record)
        loop = asyncio.get_running_loop()
        group_matches: list[Match] = []
        partner_matches: list[Match] = []
        suggested: list[SuggestedCard] = []
        if kind in {"groups", "both"}:
            hidden = self._groups_not_to_offer(user_id) | feedback.groups
            group_matches = await loop.run_in_executor(
                self._executor, self._feasible, self._groups, seeker, limit, hidden
            )
        if kind in {"partners", "both"}:
            hidden = {user_id, *feedback.excluded, *feedback.partners}
            partner_matches = await loop.run_in_executor(
                self._executor, self._feasible, self._students, seeker, limit, hidden
            )
        if kind in {"suggested", "both"}:
            grouped = self.formation_input(seeker)
            suggested = await loop.run_in_executor(
                self._executor, self.suggestion_cards, seeker, grouped, feedback, names
            )
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
            suggested=suggested,
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

    async def search(
        self,
        user_id: int,
        query: str,
        limit: int,
        subjects: Sequence[str] = (),
        *,
        people_only: bool = False,
    ) -> list[SearchHit]:
        """Semantic search (by the query's meaning), or with an empty query and `subjects`,
        the caller's best matches. `subjects` (case-insensitive): a student must study one of
        them, a group must be for one of them. Excluded users never appear."""
        wanted = subject_set(list(subjects))
        if not query.strip() and not wanted:
            raise InvalidInput(
                "Enter something to search for, or subjects",
                {"query": "must not be blank without subjects"},
            )
        await self._require_model()
        hidden = {user_id, *await self.excluded_ids(user_id)}
        if query.strip():
            (vector,) = await self.embedder.encode([query])
            probe = Profile(0, frozenset(), 0, 3.0, vector)
            students, groups, weights = self._student_search, self._group_search, SEARCH_WEIGHTS
        else:
            _, probe = await self._seeker(user_id)
            students, groups = self._students, self._groups
            weights = replace(self.weights, threshold=0.0)
        loop = asyncio.get_running_loop()
        student_matches = await loop.run_in_executor(
            self._executor, self._search_in, students, probe, weights, limit, hidden, wanted, None
        )
        group_matches: list[Match] = []
        if not people_only:
            # A group matches on its own subject (read here: the cards change on this thread).
            ids = [g for g, c in self._cards.items() if normalise_subject(c.subject) in wanted]
            ids_or_all = ids if wanted else None
            group_matches = await loop.run_in_executor(
                self._executor,
                self._search_in,
                groups,
                probe,
                weights,
                limit,
                set(),
                None,
                ids_or_all,
            )
        hits = [
            SearchHit("user", m.score, student=self._records[m.id])
            for m in student_matches
            if m.id in self._records
        ] + [
            SearchHit("group", m.score, group=self._cards[m.id])
            for m in group_matches
            if m.id in self._cards
        ]
        hits.sort(key=lambda hit: -hit.score)
        return hits[:limit]

    def _search_in(
        self,
        index: ProfileIndex,
        probe: Profile,
        weights: Weights,
        limit: int,
        exclude: set[int],
        subjects: frozenset[str] | None,
        ids: list[int] | None,
    ) -> list[Match]:
        """Scored with the filter as a row mask: subjects (students) or ids (groups); None:
        no filter."""
        allowed = None
        if ids is not None:
            allowed = index.rows_of(ids)
        elif subjects:
            allowed = np.zeros(index.size, dtype=bool)
            for subject in subjects:
                allowed |= index.with_subject(subject)
        return index.score(probe, weights, limit, exclude, allowed=allowed)

    def stats(self) -> dict[str, int]:
        return {"students": len(self._students), "groups": len(self._groups)}
