"""Pairwise pure-Python references the vectorised matching code is checked against."""

from __future__ import annotations

import pytest

from matching.profile import Profile, can_meet
from matching.scoring import Match, Weights, score_pair


def reference_top(
    seeker: Profile,
    population: list[Profile],
    weights: Weights,
    k: int,
    exclude: set[int],
    *,
    feasible_only: bool = False,
) -> list[Match]:
    """score_pair on every candidate, then the same rules as the index: excluded and (when
    asked) infeasible candidates removed, threshold, best first, ties by id, k kept."""
    scored = [
        score_pair(seeker, p, weights)
        for p in population
        if p.id not in exclude and (not feasible_only or can_meet(seeker, p))
    ]
    passing = [m for m in scored if m.score >= weights.threshold - 1e-6]
    return sorted(passing, key=lambda m: (-m.score, m.id))[:k]


def assert_same_top(got: list[Match], expected: list[Match], everyone: dict[int, Match]) -> None:
    """Equal up to exact ties (float32 in the index, float64 here): the same scores in the same
    order, each returned id scored as the reference scores it, no id twice."""
    assert len(got) == len(expected)
    assert len({m.id for m in got}) == len(got)
    for a, b in zip(got, expected, strict=True):
        assert a.score == pytest.approx(b.score, abs=1e-5)
        assert everyone[a.id].score == pytest.approx(a.score, abs=1e-5)
        assert a.goals_compared == everyone[a.id].goals_compared
