"""Goals as a fifth factor: hand-computed scores, renormalisation, explanations."""

from __future__ import annotations

import numpy as np
import pytest

from matching.explain import create_group_explanation, explain_match
from matching.index import ProfileIndex, group_profile
from matching.profile import Profile, goal_set, schedule_mask, subject_set
from matching.scoring import Weights, score_pair
from tests.unit.matching_reference import assert_same_top, reference_top


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(384, np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def profile(pid, subjects=(), schedule=None, level=3, style=None, goals=()) -> Profile:
    return Profile(
        pid,
        subject_set(list(subjects)),
        schedule_mask(schedule or {}),
        level,
        style,
        goal_set(list(goals)),
    )


SEEKER = profile(1, ["Math", "CS"], {"Monday": ["evening"]}, 4, unit(1.0), ["Exam Prep", "labs"])
OTHER_FACTORS = dict(
    subjects=["math"], schedule={"Monday": ["evening"], "Friday": ["night"]}, level=3
)


def other(goals=()) -> Profile:
    return profile(2, style=unit(1.0, 1.0), goals=goals, **OTHER_FACTORS)


def test_contract_and_origin_weights() -> None:
    contract = Weights.contract()
    assert (contract.subjects, contract.schedule, contract.style) == (0.35, 0.25, 0.20)
    assert (contract.goals, contract.performance, contract.threshold) == (0.10, 0.10, 0.5)
    assert Weights() == Weights.origin() and Weights().goals == 0.0
    assert Weights().goal_scale == 1.0
    assert contract.goal_scale == pytest.approx(1 / 0.9)


def test_goals_are_normalised_like_subjects_and_compared_by_jaccard() -> None:
    assert goal_set([" Exam  Prep", "exam prep", "LABS", ""]) == {"exam prep", "labs"}
    match = score_pair(SEEKER, other(["exam prep"]), Weights.contract())
    assert match.goals_compared and match.goals == 0.5  # {exam prep} / {exam prep, labs}
    # 0.35·0.5 + 0.25·0.5 + 0.20·cos45° + 0.10·0.5 (goals) + 0.10·0.75
    expected = 0.175 + 0.125 + 0.2 * 0.70710677 + 0.05 + 0.075
    assert match.score == pytest.approx(expected, rel=1e-6)


def test_without_goals_on_either_side_the_other_weights_are_renormalised() -> None:
    for a, b in ((SEEKER, other()), (other(), SEEKER)):
        match = score_pair(a, b, Weights.contract())
        assert not match.goals_compared and match.goals == 0.0
        expected = (0.175 + 0.125 + 0.2 * 0.70710677 + 0.075) / 0.9
        assert match.score == pytest.approx(expected, rel=1e-6)  # 0.5738, not 0.5164


def test_origin_weights_ignore_goals_whatever_they_are() -> None:
    with_goals = score_pair(SEEKER, other(["exam prep"]), Weights())
    without = score_pair(SEEKER, other(), Weights())
    expected = 0.4 * 0.5 + 0.3 * 0.5 + 0.2 * 0.70710677 + 0.1 * 0.75
    assert with_goals.score == pytest.approx(expected, rel=1e-6)
    assert without.score == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("weights", [Weights.contract(0.0), Weights(threshold=0.0)])
def test_index_computes_goals_and_renormalisation_like_the_reference(weights: Weights) -> None:
    rng = np.random.default_rng(3)
    goals = ["exam prep", "projects", "homework help", "labs"]
    population = [
        profile(
            pid,
            rng.choice(["math", "cs", "physics"], rng.integers(0, 3), replace=False),
            {"Monday": ["evening"]} if pid % 3 else {"Friday": ["morning", "night"]},
            int(rng.integers(1, 6)),
            unit(*rng.standard_normal(4)) if pid % 5 else None,
            rng.choice(goals, rng.integers(0, 3), replace=False),
        )
        for pid in range(2, 300)
    ]
    index = ProfileIndex(capacity=4)
    for p in population:
        index.upsert(p)
    for seeker in (SEEKER, other()):  # with goals and without
        everyone = {p.id: score_pair(seeker, p, weights) for p in population}
        expected = reference_top(seeker, population, weights, 40, {seeker.id})
        got = index.score(seeker, weights, 40, {seeker.id})
        assert_same_top(got, expected, everyone)
        for match in got:
            assert match.goals == pytest.approx(everyone[match.id].goals, abs=1e-6)


def test_group_profiles_carry_the_union_of_goals() -> None:
    a, b = other(["Exam prep"]), profile(3, ["math"], goals=["projects"])
    assert group_profile(9, [a, b]).goals == {"exam prep", "projects"}


def test_explanation_names_shared_goals_or_says_they_were_not_compared() -> None:
    names = {"math": "Math"}
    shared = other(["exam prep"])
    text = explain_match(score_pair(SEEKER, shared, Weights.contract()), SEEKER, shared, names)
    assert "both preparing for exams" in text and "Math" in text and "Monday evening" in text
    bare = other()
    text = explain_match(score_pair(SEEKER, bare, Weights.contract()), SEEKER, bare, names)
    assert "goals not compared" in text
    apart = other(["accountability"])
    text = explain_match(score_pair(SEEKER, apart, Weights.contract()), SEEKER, apart, names)
    assert "different study goals" in text
    odd = other(["labs"])
    text = explain_match(score_pair(SEEKER, odd, Weights.contract()), SEEKER, odd, names)
    assert "both aiming for labs" in text


def test_create_group_text_never_says_studying_study() -> None:
    empty = create_group_explanation([], "")
    assert "studying study" not in empty and "study group" in empty
    assert "Add your subjects" in empty
    assert "Other Biology students" in create_group_explanation([], "Biology")
    text = create_group_explanation(["Calculus I", "Physics I", "Art"], "")
    assert text.startswith("Be the first to start a Calculus I group!")
    assert "studying Calculus I and Physics I are" in text
