"""Feasibility as a hard constraint: a mask before top-k, checked against a pairwise reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.index import ProfileIndex, group_profile
from matching.profile import Profile, can_meet
from matching.scoring import Weights, score_pair
from tests.unit.matching_reference import assert_same_top, reference_top

SUBJECTS = ["math", "cs", "physics", "chemistry"]
GOALS = ["exam prep", "projects", "homework help"]
SLOT_CHOICES = [0, 0b1, 0b10, 0b11, 0b100, 0b1000_0000, 0b1 << 27 | 0b10]


def random_population(n: int, seed: int) -> list[Profile]:
    """Few slots, so many pairs cannot meet; subjects and style close, so infeasible pairs
    often score high (the decoys feasibility must remove)."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(384).astype(np.float32)
    profiles = []
    for pid in range(1, n + 1):
        style = base + rng.standard_normal(384).astype(np.float32) * rng.uniform(0, 1.0)
        profiles.append(
            Profile(
                pid,
                frozenset(rng.choice(SUBJECTS, rng.integers(1, 3), replace=False)),
                SLOT_CHOICES[rng.integers(len(SLOT_CHOICES))],
                float(rng.integers(1, 6)),
                style / np.linalg.norm(style) if pid % 6 else None,
                frozenset(rng.choice(GOALS, rng.integers(0, 3), replace=False)),
            )
        )
    return profiles


def build(population: list[Profile]) -> ProfileIndex:
    index = ProfileIndex(capacity=16)
    for p in population:
        index.upsert(p)
    return index


def test_can_meet_needs_both_schedules_to_constrain() -> None:
    a = Profile(1, frozenset(), 0b1, 3.0, None)
    assert not can_meet(a, Profile(2, frozenset(), 0b10, 3.0, None))
    assert can_meet(a, Profile(3, frozenset(), 0b11, 3.0, None))
    assert can_meet(a, Profile(4, frozenset(), 0, 3.0, None))  # no schedule: unconstrained
    assert can_meet(Profile(5, frozenset(), 0, 3.0, None), a)


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8])
@pytest.mark.parametrize("weights", [Weights.contract, Weights.origin])
def test_feasibility_mask_equals_the_pairwise_reference(threshold: float, weights) -> None:
    population = random_population(400, seed=int(threshold * 10))
    index = build(population)
    w = weights(threshold)
    for seeker in population[:10]:
        everyone = {p.id: score_pair(seeker, p, w) for p in population}
        for k in (5, 25):
            expected = reference_top(seeker, population, w, k, {seeker.id}, feasible_only=True)
            got = index.score(seeker, w, k, {seeker.id}, feasible_only=True)
            assert_same_top(got, expected, everyone)
            assert all(can_meet(seeker, index.get(m.id)) for m in got)


def test_the_mask_comes_before_top_k_so_feasible_candidates_fill_the_limit() -> None:
    """20 decoys share everything but time and outscore 5 feasible ones: the feasible five are
    returned, not a list emptied by a post-filter."""
    style = np.zeros(384, np.float32)
    style[0] = 1.0
    seeker = Profile(1, frozenset({"math"}), 0b1, 3.0, style)
    decoys = [Profile(i, frozenset({"math"}), 0b10, 3.0, style) for i in range(2, 22)]
    feasible = [Profile(i, frozenset({"math"}), 0b11, 3.0, None) for i in range(30, 35)]
    index = build(decoys + feasible)
    w = Weights.contract(0.0)
    assert [m.id for m in index.score(seeker, w, 5, set())] == [2, 3, 4, 5, 6]
    got = index.score(seeker, w, 5, set(), feasible_only=True)
    assert [m.id for m in got] == [30, 31, 32, 33, 34]


def test_a_query_without_a_schedule_is_not_constrained() -> None:
    population = random_population(100, seed=5)
    index = build(population)
    seeker = Profile(999, frozenset({"math"}), 0, 3.0, None)
    w = Weights.contract(0.0)
    assert index.score(seeker, w, 200, set(), feasible_only=True) == index.score(
        seeker, w, 200, set()
    )


def test_group_common_schedule_decides_feasibility() -> None:
    monday, tuesday = 0b1, 0b10
    a = Profile(1, frozenset({"math"}), monday | tuesday, 3.0, None)
    b = Profile(2, frozenset({"math"}), monday, 3.0, None)
    c = Profile(3, frozenset({"math"}), tuesday, 3.0, None)
    loose = Profile(4, frozenset({"math"}), 0, 3.0, None)  # no schedule: constrains nothing
    meets_monday = group_profile(10, [a, b, loose], flexible=True)
    assert meets_monday.schedule_mask == monday and meets_monday.has_schedule
    nobody = group_profile(11, [b, c], flexible=True)
    assert nobody.schedule_mask == 0 and nobody.has_schedule
    unscheduled = group_profile(12, [loose], flexible=True)
    assert not unscheduled.has_schedule
    assert group_profile(13, [a, b, loose]).schedule_mask == 0  # today's: one loose member
    index = build([meets_monday, nobody, unscheduled])
    w = Weights.contract(0.0)
    on_monday = Profile(100, frozenset({"math"}), monday, 3.0, None)
    on_tuesday = Profile(101, frozenset({"math"}), tuesday, 3.0, None)
    assert {m.id for m in index.score(on_monday, w, 10, set(), feasible_only=True)} == {10, 12}
    assert {m.id for m in index.score(on_tuesday, w, 10, set(), feasible_only=True)} == {12}


def test_allowed_rows_restrict_before_top_k() -> None:
    population = random_population(200, seed=9)
    index = build(population)
    seeker = population[0]
    w = Weights.contract(0.0)
    only = {p.id for p in population if p.id % 7 == 0}
    got = index.score(seeker, w, 10, {seeker.id}, allowed=index.rows_of(only))
    everyone = {p.id: score_pair(seeker, p, w) for p in population}
    chosen = [p for p in population if p.id in only]
    assert_same_top(got, reference_top(seeker, chosen, w, 10, {seeker.id}), everyone)


profiles = st.builds(
    lambda pid, subjects, mask, level, goals, styled: (pid, subjects, mask, level, goals, styled),
    st.integers(1, 10_000),
    st.frozensets(st.sampled_from(SUBJECTS), max_size=3),
    st.sampled_from(SLOT_CHOICES),
    st.integers(1, 5),
    st.frozensets(st.sampled_from(GOALS), max_size=2),
    st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(profiles, min_size=1, max_size=40, unique_by=lambda r: r[0]),
    threshold=st.sampled_from([0.0, 0.2, 0.4, 0.5, 0.6, 0.8]),
    k=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_property_mask_never_returns_an_infeasible_or_short_list(rows, threshold, k, seed):
    rng = np.random.default_rng(seed)
    population = []
    for pid, subjects, mask, level, goals, styled in rows:
        style = rng.standard_normal(384).astype(np.float32) if styled else None
        style = style / np.linalg.norm(style) if style is not None else None
        population.append(Profile(pid, subjects, mask, float(level), style, goals))
    seeker, others = population[0], population[1:]
    index = build(others)
    w = Weights.contract(threshold)
    got = index.score(seeker, w, k, set(), feasible_only=True)
    scores = [score_pair(seeker, p, w).score for p in others if can_meet(seeker, p)]
    surely = sum(s >= threshold + 1e-5 for s in scores)
    maybe = sum(s >= threshold - 1e-5 for s in scores)  # float32 rounding at the threshold
    assert min(k, surely) <= len(got) <= min(k, maybe)
    assert all(can_meet(seeker, index.get(m.id)) for m in got)
    assert [m.score for m in got] == sorted((m.score for m in got), reverse=True)
