"""The matching model with hand-computed expectations for every factor and edge case."""

from __future__ import annotations

import numpy as np
import pytest

from matching.explain import explain_match
from matching.index import ProfileIndex, group_profile
from matching.profile import (
    Profile,
    check_performance,
    format_schedule,
    mask_to_slots,
    schedule_mask,
    subject_set,
)
from matching.scoring import (
    Weights,
    jaccard,
    match_percentage,
    performance_compatibility,
    schedule_overlap,
    score_pair,
    style_similarity,
)


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(384, np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def profile(pid: int, subjects=(), schedule=None, level=3, style=None) -> Profile:
    return Profile(pid, subject_set(list(subjects)), schedule_mask(schedule or {}), level, style)


def test_subjects_are_compared_case_and_whitespace_insensitively() -> None:
    a = subject_set(["Computer  Science", "Math"])
    b = subject_set(["computer science", "Physics"])
    assert jaccard(a, b) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_schedule_counts_days_only_one_side_lists() -> None:
    a = schedule_mask({"Monday": ["Evening (5-9 PM)"], "Tuesday": ["Morning (8-12 PM)"]})
    b = schedule_mask({"monday": ["evening"]})
    # origin: Tuesday ignored → 1/1 = 1.0; here common 1 / union 2
    assert schedule_overlap(a, b) == 0.5
    assert schedule_overlap(0, 0) == 0.0
    assert schedule_overlap(a, a) == 1.0


def test_schedule_rejects_unknown_days_and_slots_by_name() -> None:
    with pytest.raises(ValueError, match="Funday"):
        schedule_mask({"Funday": ["evening"]})
    with pytest.raises(ValueError, match="Brunch"):
        schedule_mask({"Monday": ["Brunch"]})


def test_schedule_is_described_by_its_real_slots() -> None:
    mask = schedule_mask({"Mon": ["evening"], "Wednesday": ["Evening (5-9 PM)", "morning"]})
    assert mask_to_slots(mask) == [
        ("Monday", "evening"),
        ("Wednesday", "morning"),
        ("Wednesday", "evening"),
    ]
    assert format_schedule(mask) == "Mon/Wed evenings, Wed mornings"
    assert format_schedule(0) == "Flexible schedule"


def test_style_cosine_is_clamped_and_missing_style_scores_zero() -> None:
    a = unit(1.0)
    assert style_similarity(a, a * np.float32(1.0000001)) == 1.0
    assert style_similarity(a, -a) == 0.0
    assert style_similarity(a, unit(1.0, 1.0)) == pytest.approx(0.70710677, rel=1e-6)
    assert style_similarity(None, a) == 0.0


def test_performance_compatibility_and_validation() -> None:
    assert [performance_compatibility(3, b) for b in (3, 4, 5, 1)] == [1.0, 0.75, 0.5, 0.5]
    assert performance_compatibility(1, 5) == 0.0
    for bad in (0, 6, True, 2.5):
        with pytest.raises(ValueError):
            check_performance(bad)  # type: ignore[arg-type]


def test_composite_uses_the_origin_weights_and_rounds() -> None:
    seeker = profile(1, ["Math", "CS"], {"Monday": ["evening"]}, 4, unit(1.0))
    other = profile(2, ["math"], {"Monday": ["evening"], "Friday": ["night"]}, 3, unit(1.0, 1.0))
    match = score_pair(seeker, other, Weights())
    expected = 0.4 * 0.5 + 0.3 * 0.5 + 0.2 * 0.70710677 + 0.1 * 0.75
    assert match.score == pytest.approx(expected, rel=1e-6)
    assert match.percentage == round(expected * 100)  # 56.6 → 57, not truncated to 56
    assert match_percentage(0.505) == 51 and match_percentage(0.9949) == 99
    assert match_percentage(0.99999994) == 100


def test_explanation_names_the_evidence() -> None:
    seeker = profile(1, ["Math"], {"Monday": ["evening"]}, 4, None)
    other = profile(2, ["math"], {"Monday": ["evening"]}, 4, unit(1.0))
    match = score_pair(seeker, other, Weights())
    text = explain_match(match, seeker, other, {"math": "Math"})
    assert "Math" in text and "Monday evening" in text
    assert "not compared" in text


def _random_profiles(n: int, seed: int = 7) -> list[Profile]:
    rng = np.random.default_rng(seed)
    subjects = ["math", "cs", "physics", "chemistry", "biology", "history", "art", "music"]
    profiles = []
    for pid in range(1, n + 1):
        style = rng.standard_normal(384).astype(np.float32)
        chosen = rng.choice(subjects, rng.integers(0, 4), replace=False)
        profiles.append(
            Profile(
                pid,
                frozenset(chosen),
                int(rng.integers(0, 1 << 28)),
                float(rng.integers(1, 6)),
                style / np.linalg.norm(style) if pid % 4 else None,
            )
        )
    return profiles


def test_index_equals_pairwise_scoring_with_exclusions_and_threshold() -> None:
    profiles = _random_profiles(500)
    index = ProfileIndex(capacity=8)  # forces several growths
    for p in profiles:
        index.upsert(p)
    index.remove(10)
    index.remove(500)
    weights = Weights(threshold=0.35)
    seeker = profiles[0]
    expected = sorted(
        (score_pair(seeker, p, weights) for p in profiles if p.id not in {1, 10, 500, 20}),
        key=lambda m: (-m.score, m.id),
    )
    expected = [m for m in expected if m.score >= 0.35][:15]
    got = index.score(seeker, weights, k=15, exclude={1, 20})
    assert [m.id for m in got] == [m.id for m in expected]
    assert all(abs(a.score - b.score) < 1e-5 for a, b in zip(got, expected, strict=True))


def _crowded_profiles(n: int, seed: int) -> list[Profile]:
    """Few subjects and slots: many candidates sit near the threshold, where style decides."""
    rng = np.random.default_rng(seed)
    slots = [0b1, 0b11, 0b1011, 0b1 << 9 | 0b1]
    profiles = []
    for pid in range(1, n + 1):
        noise = rng.standard_normal(384).astype(np.float32) * rng.uniform(0, 0.08)
        style = unit(1.0) + noise
        profiles.append(
            Profile(
                pid,
                frozenset(rng.choice(["math", "cs", "physics"], rng.integers(1, 3), False)),
                slots[rng.integers(len(slots))],
                float(rng.integers(2, 5)),
                style / np.linalg.norm(style),
            )
        )
    return profiles


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.6, 0.7, 0.8])
def test_skipping_rows_that_cannot_reach_the_threshold_changes_nothing(threshold: float) -> None:
    """Low thresholds scan every embedding; high ones gather only rows that could still pass."""
    profiles = _crowded_profiles(400, seed=int(threshold * 100))
    index = ProfileIndex()
    for p in profiles:
        index.upsert(p)
    weights = Weights(threshold=threshold)
    for seeker in profiles[:8]:
        expected = sorted(
            (score_pair(seeker, p, weights) for p in profiles if p.id != seeker.id),
            key=lambda m: (-m.score, m.id),
        )
        expected = [m for m in expected if m.score >= threshold - 1e-6][:25]
        got = index.score(seeker, weights, k=25, exclude={seeker.id})
        assert [m.id for m in got] == [m.id for m in expected]
        for a, b in zip(got, expected, strict=True):
            assert a.style == pytest.approx(b.style, abs=1e-6)
            assert a.score == pytest.approx(b.score, abs=1e-5)


def test_index_upsert_replaces_and_unknown_query_subjects_count_in_the_union() -> None:
    index = ProfileIndex()
    index.upsert(profile(1, ["math"]))
    index.upsert(profile(1, ["physics"]))
    assert len(index) == 1
    (match,) = index.score(
        profile(9, ["physics", "basket weaving"]), Weights(threshold=0), 5, set()
    )
    assert match.subject == 0.5


def test_group_profile_unions_subjects_and_intersects_schedules() -> None:
    a = profile(1, ["Math"], {"Monday": ["evening", "night"]}, 2, unit(1.0))
    b = profile(2, ["CS"], {"Monday": ["evening"], "Friday": ["morning"]}, 4, unit(0.0, 1.0))
    group = group_profile(77, [a, b])
    assert group.subjects == {"math", "cs"}
    assert mask_to_slots(group.schedule_mask) == [("Monday", "evening")]
    assert group.performance == 3.0
    assert group.embedding is not None
    assert float(np.linalg.norm(group.embedding)) == pytest.approx(1.0, rel=1e-6)
