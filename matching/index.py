"""In-memory profile index: numpy arrays over every candidate, scored in one vectorised pass."""

from __future__ import annotations

import numpy as np

from matching.profile import EMBEDDING_DIM, Profile
from matching.scoring import Match, Weights

WORD_BITS = 64


class ProfileIndex:
    """Rows of candidates: embeddings (float32, zero row when no style), subject bitsets over a
    growing vocabulary and schedule masks (with their popcounts), performance levels. Capacity
    doubles, so an insert never copies the whole index."""

    def __init__(self, capacity: int = 1024) -> None:
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._embeddings = np.zeros((capacity, EMBEDDING_DIM), dtype=np.float32)
        self._subjects = np.zeros((capacity, 1), dtype=np.uint64)
        self._subject_counts = np.zeros(capacity, dtype=np.float32)  # popcounts, precomputed
        self._schedules = np.zeros(capacity, dtype=np.uint32)
        self._schedule_counts = np.zeros(capacity, dtype=np.float32)
        self._performance = np.zeros(capacity, dtype=np.float32)
        self._row_by_id: dict[int, int] = {}
        self._profiles: dict[int, Profile] = {}
        self._vocabulary: dict[str, int] = {}
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
        self._subjects[row] = self.subject_bits(profile.subjects, grow=True)
        self._subject_counts[row] = len(profile.subjects)
        self._schedules[row] = profile.schedule_mask
        self._schedule_counts[row] = profile.schedule_mask.bit_count()
        self._performance[row] = profile.performance

    def remove(self, profile_id: int) -> None:
        row = self._row_by_id.pop(profile_id, None)
        if row is None:
            return
        self._profiles.pop(profile_id, None)
        last = self.size - 1
        if row != last:  # move the last row into the hole
            for array in self._arrays():
                array[row] = array[last]
            self._row_by_id[int(self._ids[row])] = row
        self.size -= 1

    def subject_bits(self, subjects: frozenset[str], *, grow: bool = False) -> np.ndarray:
        words = np.zeros(self._subjects.shape[1], dtype=np.uint64)
        for subject in subjects:
            bit = self._vocabulary.get(subject)
            if bit is None:
                if not grow:
                    continue  # a subject no candidate has cannot be shared; it still counts below
                bit = self._vocabulary[subject] = len(self._vocabulary)
                if bit // WORD_BITS >= self._subjects.shape[1]:
                    self._widen_subjects()
                    words = np.resize(words, self._subjects.shape[1])
                    words[-1] = 0
            words[bit // WORD_BITS] |= np.uint64(1) << np.uint64(bit % WORD_BITS)
        return words

    def score(self, query: Profile, weights: Weights, k: int, exclude: set[int]) -> list[Match]:
        """Top-k candidates at or above the threshold, best first, excluding `exclude` ids.

        The cheap factors (subjects, schedule, level: a few bytes per row) are computed for every
        row first; the learning-style cosine (1.5 KB per row, the bulk of the index) only for rows
        that could still reach the threshold with a perfect style match. Exact: a pruned row
        cannot be shown whatever its style."""
        n = self.size
        if n == 0 or k <= 0:
            return []
        subject, schedule, perf = self._cheap_factors(query)
        total = subject * np.float32(weights.subjects)
        total += schedule * np.float32(weights.schedule)
        total += perf * np.float32(weights.performance)
        for profile_id in exclude:
            row = self._row_by_id.get(profile_id)
            if row is not None:
                total[row] = -np.inf
        threshold = weights.threshold - 1e-9
        style = np.zeros(n, np.float32)
        if query.embedding is not None:
            reachable = np.flatnonzero(total >= threshold - max(weights.style, 0.0) - 1e-6)
            # einsum, not BLAS: single-threaded, so it does not stall when the two BLAS threads
            # compete for two busy cores (p50 several times worse under load, docs/matching.md).
            if reachable.size > n // 2:  # a gather would cost more than the full scan
                np.einsum("ij,j->i", self._embeddings[:n], query.embedding, out=style)
            elif reachable.size:
                rows = np.take(self._embeddings, reachable, axis=0)
                style[reachable] = np.einsum("ij,j->i", rows, query.embedding)
            np.clip(style, 0.0, 1.0, out=style)  # rows without a style are zero rows: 0
            total += style * np.float32(weights.style)
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
            )
            for r in order
        ]

    def _cheap_factors(self, query: Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Subject Jaccard, schedule overlap, level compatibility for every row (float32)."""
        n = self.size
        query_words = self.subject_bits(query.subjects)
        rows = self._subjects[:n]
        if rows.shape[1] == 1:
            shared = np.bitwise_count(rows[:, 0] & query_words[0]).astype(np.float32)
        else:
            shared = np.bitwise_count(rows & query_words).sum(axis=1, dtype=np.int32)
            shared = shared.astype(np.float32)
        # |A ∪ B| = |A| + |B| - |A ∩ B|; |B| counts query subjects no candidate has, too.
        union = self._subject_counts[:n] + np.float32(len(query.subjects)) - shared
        subject = np.divide(shared, union, out=np.zeros(n, np.float32), where=union > 0)
        query_mask = np.uint32(query.schedule_mask)
        common = np.bitwise_count(self._schedules[:n] & query_mask).astype(np.float32)
        either = self._schedule_counts[:n] + np.float32(query.schedule_mask.bit_count()) - common
        schedule = np.divide(common, either, out=np.zeros(n, np.float32), where=either > 0)
        perf = np.abs(self._performance[:n] - np.float32(query.performance))
        perf *= np.float32(-0.25)
        perf += np.float32(1.0)
        return subject, schedule, perf

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (
            self._ids,
            self._embeddings,
            self._subjects,
            self._subject_counts,
            self._schedules,
            self._schedule_counts,
            self._performance,
        )

    def _grow_to(self, rows: int) -> None:
        capacity = len(self._ids)
        if rows <= capacity:
            return
        new_capacity = max(rows, capacity * 2)
        (
            self._ids,
            self._embeddings,
            self._subjects,
            self._subject_counts,
            self._schedules,
            self._schedule_counts,
            self._performance,
        ) = (_resized(a, new_capacity) for a in self._arrays())

    def _widen_subjects(self) -> None:
        wider = np.zeros((self._subjects.shape[0], self._subjects.shape[1] + 1), np.uint64)
        wider[:, :-1] = self._subjects
        self._subjects = wider


def _resized(array: np.ndarray, rows: int) -> np.ndarray:
    grown = np.zeros((rows, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def group_profile(group_id: int, members: list[Profile]) -> Profile:
    """A group as one profile: union of subjects, the slots every member shares, the mean
    learning-style embedding (re-normalised, over members who have one), the mean level."""
    subjects = frozenset().union(*(m.subjects for m in members)) if members else frozenset()
    shared_slots = members[0].schedule_mask if members else 0
    for member in members[1:]:
        shared_slots &= member.schedule_mask
    styled = [m.embedding for m in members if m.embedding is not None]
    embedding = None
    if styled:
        mean = np.mean(styled, axis=0).astype(np.float32)
        norm = float(np.linalg.norm(mean))
        embedding = mean / norm if norm > 0 else None
    performance = float(np.mean([m.performance for m in members])) if members else 3.0
    return Profile(group_id, subjects, shared_slots, performance, embedding)
