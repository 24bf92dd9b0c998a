"""In-memory profile index: numpy arrays over every candidate, scored in one vectorised pass."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from matching.profile import EMBEDDING_DIM, Profile
from matching.scoring import Match, Weights

WORD_BITS = 64


class SetColumn:
    """One set-valued attribute (subjects, goals) of every row: bitsets over a growing
    vocabulary (uint64 words) and their popcounts, so |A ∪ B| = |A| + |B| − |A ∩ B|."""

    def __init__(self, capacity: int) -> None:
        self.words = np.zeros((capacity, 1), dtype=np.uint64)
        self.counts = np.zeros(capacity, dtype=np.float32)
        self.vocabulary: dict[str, int] = {}

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.words, self.counts

    def resize(self, rows: int) -> None:
        self.words, self.counts = _resized(self.words, rows), _resized(self.counts, rows)

    def move(self, row: int, last: int) -> None:
        self.words[row] = self.words[last]
        self.counts[row] = self.counts[last]

    def write(self, row: int, values: frozenset[str]) -> None:
        self.words[row] = self.bits(values, grow=True)
        self.counts[row] = len(values)

    def bits(self, values: frozenset[str], *, grow: bool = False) -> np.ndarray:
        words = np.zeros(self.words.shape[1], dtype=np.uint64)
        for value in values:
            bit = self.vocabulary.get(value)
            if bit is None:
                if not grow:
                    continue  # a value no row has cannot be shared; it still counts in the union
                bit = self.vocabulary[value] = len(self.vocabulary)
                if bit // WORD_BITS >= self.words.shape[1]:
                    self._widen()
                    words = np.resize(words, self.words.shape[1])
                    words[-1] = 0
            words[bit // WORD_BITS] |= np.uint64(1) << np.uint64(bit % WORD_BITS)
        return words

    def shared(self, n: int, values: frozenset[str]) -> np.ndarray:
        """|row ∩ values| for the first n rows (float32)."""
        query = self.bits(values)
        rows = self.words[:n]
        if rows.shape[1] == 1:
            return np.asarray(np.bitwise_count(rows[:, 0] & query[0]).astype(np.float32))
        return np.asarray(
            np.bitwise_count(rows & query).sum(axis=1, dtype=np.int32).astype(np.float32)
        )

    def jaccard(self, n: int, values: frozenset[str]) -> np.ndarray:
        shared = self.shared(n, values)
        union = self.counts[:n] + np.float32(len(values)) - shared
        return np.asarray(np.divide(shared, union, out=np.zeros(n, np.float32), where=union > 0))

    def has(self, n: int, value: str) -> np.ndarray:
        """Rows whose set contains `value` (bool)."""
        bit = self.vocabulary.get(value)
        if bit is None:
            return np.zeros(n, dtype=bool)
        word = self.words[:n, bit // WORD_BITS]
        return np.asarray((word >> np.uint64(bit % WORD_BITS)) & np.uint64(1) != 0)

    def _widen(self) -> None:
        wider = np.zeros((self.words.shape[0], self.words.shape[1] + 1), np.uint64)
        wider[:, :-1] = self.words
        self.words = wider


class ProfileIndex:
    """Rows of candidates: embeddings (float32, zero row when no style), subject and goal
    bitsets, schedule masks (with their popcounts and whether they constrain), performance
    levels. Capacity doubles, so an insert never copies the whole index."""

    def __init__(self, capacity: int = 1024) -> None:
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._embeddings = np.zeros((capacity, EMBEDDING_DIM), dtype=np.float32)
        self._subjects = SetColumn(capacity)
        self._goals = SetColumn(capacity)
        self._schedules = np.zeros(capacity, dtype=np.uint32)
        self._schedule_counts = np.zeros(capacity, dtype=np.float32)
        self._schedule_known = np.zeros(capacity, dtype=bool)
        self._performance = np.zeros(capacity, dtype=np.float32)
        self._row_by_id: dict[int, int] = {}
        self._profiles: dict[int, Profile] = {}
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __contains__(self, profile_id: int) -> bool:
        return profile_id in self._row_by_id

    def get(self, profile_id: int) -> Profile | None:
        return self._profiles.get(profile_id)

    @property
    def nbytes(self) -> int:
        return sum(a[: self.size].nbytes for a in self._arrays())

    def upsert(self, profile: Profile) -> None:
        row = self._row_by_id.get(profile.id)
        if row is None:
            row = self.size
            self._grow_to(row + 1)
            self._row_by_id[profile.id] = row
            self.size += 1
        self._profiles[profile.id] = profile
        self._ids[row] = profile.id
        self._embeddings[row] = profile.embedding if profile.embedding is not None else 0.0
        self._subjects.write(row, profile.subjects)
        self._goals.write(row, profile.goals)
        self._schedules[row] = profile.schedule_mask
        self._schedule_counts[row] = profile.schedule_mask.bit_count()
        self._schedule_known[row] = profile.has_schedule
        self._performance[row] = profile.performance

    def remove(self, profile_id: int) -> None:
        row = self._row_by_id.pop(profile_id, None)
        if row is None:
            return
        self._profiles.pop(profile_id, None)
        last = self.size - 1
        if row != last:  # move the last row into the hole
            for array in self._own_arrays():
                array[row] = array[last]
            self._subjects.move(row, last)
            self._goals.move(row, last)
            self._row_by_id[int(self._ids[row])] = row
        self.size -= 1

    def subject_bits(self, subjects: frozenset[str], *, grow: bool = False) -> np.ndarray:
        return self._subjects.bits(subjects, grow=grow)

    # ---- row masks (bool over the current rows), for `allowed` --------------------------

    def rows_of(self, ids: Iterable[int]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        rows = [r for r in (self._row_by_id.get(i) for i in ids) if r is not None]
        mask[rows] = True
        return mask

    def with_subject(self, subject: str) -> np.ndarray:
        return self._subjects.has(self.size, subject)

    def sharing_a_slot(self, schedule_mask: int) -> np.ndarray:
        """Rows whose schedule shares at least one (day, slot) with the mask (strict)."""
        return np.asarray(self._schedules[: self.size] & np.uint32(schedule_mask) != 0)

    def feasible(self, query: Profile) -> np.ndarray:
        """Rows the query can meet: either side has no schedule, or they share a slot."""
        n = self.size
        if not query.has_schedule:
            return np.ones(n, dtype=bool)
        return np.asarray(~self._schedule_known[:n] | self.sharing_a_slot(query.schedule_mask))

    # ---- scoring ----------------------------------------------------------------------------

    def score(
        self,
        query: Profile,
        weights: Weights,
        k: int,
        exclude: set[int],
        *,
        feasible_only: bool = False,
        allowed: np.ndarray | None = None,
    ) -> list[Match]:
        """Top-k candidates at or above the threshold, best first, excluding `exclude` ids.

        `feasible_only` drops rows the query cannot meet (both have a schedule, no common
        slot); `allowed` (bool per row, from the row masks above) keeps only those rows. Both
        are applied before the top-k, so the list is only shorter than k when fewer rows pass.

        The cheap factors (subjects, schedule, goals, level: a few bytes per row) are computed
        for every row first; the learning-style cosine (1.5 KB per row, the bulk of the index)
        only for rows that could still reach the threshold with a perfect style match. Exact: a
        pruned row cannot be shown whatever its style."""
        n = self.size
        if n == 0 or k <= 0:
            return []
        subject, schedule, perf = self._cheap_factors(query)
        total = subject * np.float32(weights.subjects)
        total += schedule * np.float32(weights.schedule)
        total += perf * np.float32(weights.performance)
        goals, compared, scale = self._goal_factors(query, weights)
        if scale is not None:  # renormalise rows without a goal comparison, add goals
            total *= scale
            total += goals * np.float32(weights.goals)
        keep = self.feasible(query) if feasible_only and query.has_schedule else None
        if allowed is not None:
            keep = allowed[:n] if keep is None else keep & allowed[:n]
        if keep is not None:
            total[~keep] = -np.inf
        for profile_id in exclude:
            row = self._row_by_id.get(profile_id)
            if row is not None:
                total[row] = -np.inf
        style_weight = np.float32(weights.style) * (np.float32(1) if scale is None else scale)
        threshold = weights.threshold - 1e-9
        style = self._style(query, total, threshold - np.maximum(style_weight, 0) - 1e-6)
        total += style * style_weight
        candidates = np.flatnonzero(total >= threshold)
        if candidates.size > k:
            top = np.argpartition(-total[candidates], k - 1)[:k]
            candidates = candidates[top]
        order = candidates[np.lexsort((self._ids[candidates], -total[candidates]))]
        return [
            Match(
                int(self._ids[r]),
                float(total[r]),
                float(subject[r]),
                float(schedule[r]),
                float(style[r]),
                float(perf[r]),
                float(goals[r]),
                bool(compared[r]),
            )
            for r in order
        ]

    def _style(self, query: Profile, total: np.ndarray, reach: np.ndarray | float) -> np.ndarray:
        """Clamped cosine for rows whose total could still pass (`total >= reach`), else 0."""
        n = self.size
        style = np.zeros(n, np.float32)
        if query.embedding is None:
            return style
        reachable = np.flatnonzero(total >= reach)
        # einsum, not BLAS: single-threaded, so it does not stall when the two BLAS threads
        # compete for two busy cores (p50 several times worse under load, docs/matching.md).
        if reachable.size > n // 2:  # a gather would cost more than the full scan
            np.einsum("ij,j->i", self._embeddings[:n], query.embedding, out=style)
        elif reachable.size:
            rows = np.take(self._embeddings, reachable, axis=0)
            style[reachable] = np.einsum("ij,j->i", rows, query.embedding)
        return np.clip(style, 0.0, 1.0, out=style)  # rows without a style are zero rows: 0

    def _goal_factors(
        self, query: Profile, weights: Weights
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | np.float32 | None]:
        """Goal Jaccard, whether goals were compared, and the per-row weight scale (1 where
        compared, `goal_scale` elsewhere; None when every row scales by exactly 1)."""
        n = self.size
        if not query.goals or not self._goals.vocabulary:
            nothing = np.zeros(n, np.float32)
            constant = weights.goal_scale
            return nothing, nothing.astype(bool), None if constant == 1.0 else np.float32(constant)
        compared = self._goals.counts[:n] > 0
        goals = self._goals.jaccard(n, query.goals)
        goals[~compared] = 0.0
        if weights.goal_scale == 1.0:
            return goals, compared, None
        scale = np.where(compared, np.float32(1), np.float32(weights.goal_scale))
        return goals, compared, scale.astype(np.float32)

    def _cheap_factors(self, query: Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Subject Jaccard, schedule overlap, level compatibility for every row (float32)."""
        n = self.size
        # |B| counts query subjects no candidate has, too (SetColumn.jaccard).
        subject = self._subjects.jaccard(n, query.subjects)
        query_mask = np.uint32(query.schedule_mask)
        common = np.bitwise_count(self._schedules[:n] & query_mask).astype(np.float32)
        either = self._schedule_counts[:n] + np.float32(query.schedule_mask.bit_count()) - common
        schedule = np.divide(common, either, out=np.zeros(n, np.float32), where=either > 0)
        perf = np.abs(self._performance[:n] - np.float32(query.performance))
        perf *= np.float32(-0.25)
        perf += np.float32(1.0)
        return subject, schedule, perf

    def _own_arrays(self) -> tuple[np.ndarray, ...]:
        return (
            self._ids,
            self._embeddings,
            self._schedules,
            self._schedule_counts,
            self._schedule_known,
            self._performance,
        )

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (*self._own_arrays(), *self._subjects.arrays(), *self._goals.arrays())

    def _grow_to(self, rows: int) -> None:
        capacity = len(self._ids)
        if rows <= capacity:
            return
        new_capacity = max(rows, capacity * 2)
        (
            self._ids,
            self._embeddings,
            self._schedules,
            self._schedule_counts,
            self._schedule_known,
            self._performance,
        ) = (_resized(a, new_capacity) for a in self._own_arrays())
        self._subjects.resize(new_capacity)
        self._goals.resize(new_capacity)


def _resized(array: np.ndarray, rows: int) -> np.ndarray:
    grown = np.zeros((rows, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def group_profile(group_id: int, members: list[Profile], *, flexible: bool = False) -> Profile:
    """A group as one profile: union of subjects and of goals, the slots every member shares,
    the mean learning-style embedding (re-normalised, over members who have one), the mean
    level.

    flexible=False (today's): the common slots are intersected over every member, so one member
    without a schedule leaves the group without one. flexible=True (the second version's, for
    feasibility): members without a schedule constrain nothing, and a group whose scheduled
    members share no slot keeps `schedule_known=True` with mask 0: nobody can meet it."""
    subjects = frozenset().union(*(m.subjects for m in members)) if members else frozenset()
    goals = frozenset().union(*(m.goals for m in members)) if members else frozenset()
    constraining = [m for m in members if m.has_schedule] if flexible else members
    shared_slots = constraining[0].schedule_mask if constraining else 0
    for member in constraining[1:]:
        shared_slots &= member.schedule_mask
    styled = [m.embedding for m in members if m.embedding is not None]
    embedding = None
    if styled:
        mean = np.mean(styled, axis=0).astype(np.float32)
        norm = float(np.linalg.norm(mean))
        embedding = mean / norm if norm > 0 else None
    performance = float(np.mean([m.performance for m in members])) if members else 3.0
    known = bool(constraining) if flexible else None
    return Profile(group_id, subjects, shared_slots, performance, embedding, goals, known)
