"""The matching model (design.md §4): five weighted factors, with plain-language explanations.

`Weights()` is still the origin's four-factor formula (goals weigh 0) so today's callers keep
their behaviour; `Weights.contract()` is the second version's (goals 0.10). Goals are compared
only when both sides list some; otherwise that factor is left out and the other weights are
scaled up so they keep their sum (`goal_scale`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.profile import Profile


@dataclass(frozen=True)
class Weights:
    subjects: float = 0.4
    schedule: float = 0.3
    style: float = 0.2
    performance: float = 0.1
    threshold: float = 0.5  # a candidate is shown when its composite score is >= threshold
    goals: float = 0.0  # after threshold: positional construction (subjects..threshold) unchanged

    @classmethod
    def origin(cls, threshold: float = 0.5) -> Weights:
        """The four-factor formula the service uses until it is wired to the contract."""
        return cls(0.4, 0.3, 0.2, 0.1, threshold)

    @classmethod
    def contract(cls, threshold: float = 0.5) -> Weights:
        """api.md "Matching, second version": 0.35 / 0.25 / 0.20 / 0.10 goals / 0.10 level."""
        return cls(0.35, 0.25, 0.20, 0.10, threshold, goals=0.10)

    @property
    def goal_scale(self) -> float:
        """Factor on the other four weights when goals are not compared, so the weights keep
        their sum (1 for both presets). 0 when goals are the only weighted factor."""
        others = self.subjects + self.schedule + self.style + self.performance
        return (others + self.goals) / others if others > 0 else 0.0


@dataclass(frozen=True)
class Match:
    id: int
    score: float
    subject: float
    schedule: float
    style: float
    performance: float
    goals: float = 0.0  # Jaccard of goal sets; 0 when not compared
    goals_compared: bool = False  # both sides list goals

    @property
    def percentage(self) -> int:
        return match_percentage(self.score)


def match_percentage(score: float) -> int:
    """Rounded half up (the origin truncated, which showed 99 for identical profiles)."""
    return int(np.floor(score * 100 + 0.5))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def schedule_overlap(a: int, b: int) -> float:
    """|common (day, slot)| / |union of (day, slot)| over the whole week."""
    union = (a | b).bit_count()
    return (a & b).bit_count() / union if union else 0.0


def style_similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return 0.0
    return float(np.clip(np.dot(a, b), 0.0, 1.0))


def performance_compatibility(a: float, b: float) -> float:
    return 1.0 - abs(a - b) / 4.0


def score_pair(a: Profile, b: Profile, weights: Weights) -> Match:
    """Reference implementation for one pair; the index computes the same vectorised."""
    factors = (
        jaccard(a.subjects, b.subjects),
        schedule_overlap(a.schedule_mask, b.schedule_mask),
        style_similarity(a.embedding, b.embedding),
        performance_compatibility(a.performance, b.performance),
    )
    compared = a.has_goals and b.has_goals
    goals = jaccard(a.goals, b.goals) if compared else 0.0
    score = composite_with_goals(*factors, goals, compared, weights)
    return Match(b.id, score, *factors, goals=goals, goals_compared=compared)


def composite(subject: float, schedule: float, style: float, perf: float, w: Weights) -> float:
    return w.subjects * subject + w.schedule * schedule + w.style * style + w.performance * perf


def composite_with_goals(
    subject: float,
    schedule: float,
    style: float,
    perf: float,
    goals: float,
    goals_compared: bool,
    w: Weights,
) -> float:
    """All five factors; without a goal comparison the other four are renormalised."""
    base = composite(subject, schedule, style, perf, w)
    return base + w.goals * goals if goals_compared else base * w.goal_scale
