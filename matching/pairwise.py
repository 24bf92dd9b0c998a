"""Every pair of a small set of profiles scored at once (numpy), for forming groups."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matching.profile import EMBEDDING_DIM, Profile
from matching.scoring import Weights


def _membership(sets: Sequence[frozenset[str]]) -> np.ndarray:
    """Bool matrix rows × vocabulary of the given sets."""
    vocabulary = {value: i for i, value in enumerate(sorted(frozenset().union(*sets)))}
    matrix = np.zeros((len(sets), max(len(vocabulary), 1)), dtype=bool)
    for row, values in enumerate(sets):
        matrix[row, [vocabulary[v] for v in values]] = True
    return matrix


def _jaccard_matrix(sets: Sequence[frozenset[str]]) -> np.ndarray:
    members = _membership(sets).astype(np.float64)
    shared = members @ members.T
    counts = members.sum(axis=1)
    union = counts[:, None] + counts[None, :] - shared
    return np.asarray(np.divide(shared, union, out=np.zeros_like(shared), where=union > 0))


def score_matrix(profiles: Sequence[Profile], weights: Weights) -> np.ndarray:
    """Symmetric matrix of composite scores (float64), equal to `score_pair` for every pair
    (tests/unit/test_matching_formation.py); the diagonal is 0."""
    n = len(profiles)
    if n == 0:
        return np.zeros((0, 0))
    subject = _jaccard_matrix([p.subjects for p in profiles])
    masks = np.array([p.schedule_mask for p in profiles], dtype=np.uint32)
    common = np.bitwise_count(masks[:, None] & masks[None, :]).astype(np.float64)
    either = np.bitwise_count(masks[:, None] | masks[None, :]).astype(np.float64)
    schedule = np.divide(common, either, out=np.zeros_like(common), where=either > 0)
    embeddings = np.zeros((n, EMBEDDING_DIM), dtype=np.float32)
    for row, profile in enumerate(profiles):
        if profile.embedding is not None:
            embeddings[row] = profile.embedding
    style = np.clip((embeddings @ embeddings.T).astype(np.float64), 0.0, 1.0)
    levels = np.array([p.performance for p in profiles], dtype=np.float64)
    perf = 1.0 - np.abs(levels[:, None] - levels[None, :]) / 4.0
    listed = np.array([p.has_goals for p in profiles])
    compared = listed[:, None] & listed[None, :]
    goals = np.where(compared, _jaccard_matrix([p.goals for p in profiles]), 0.0)
    base = (
        weights.subjects * subject
        + weights.schedule * schedule
        + weights.style * style
        + weights.performance * perf
    )
    total = np.where(compared, base + weights.goals * goals, base * weights.goal_scale)
    np.fill_diagonal(total, 0.0)
    return np.asarray(total)


def satisfactions(matrix: np.ndarray, members: Sequence[int]) -> np.ndarray:
    """Each member's satisfaction: their mean score with the other members."""
    rows = np.asarray(members, dtype=np.intp)
    sub = matrix[np.ix_(rows, rows)]
    return np.asarray(sub.sum(axis=1) / max(len(members) - 1, 1))
