"""The matching model (design.md §4): four factors, weighted, with plain-language explanations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.profile import Profile, mask_to_slots


@dataclass(frozen=True)
class Weights:
    subjects: float = 0.4
    schedule: float = 0.3
    style: float = 0.2
    performance: float = 0.1
    threshold: float = 0.5  # a candidate is shown when its composite score is >= threshold


@dataclass(frozen=True)
class Match:
    id: int
    score: float
    subject: float
    schedule: float
    style: float
    performance: float

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
    return Match(b.id, composite(*factors, weights), *factors)


def composite(subject: float, schedule: float, style: float, perf: float, w: Weights) -> float:
    return w.subjects * subject + w.schedule * schedule + w.style * style + w.performance * perf


def explain(match: Match, seeker: Profile, candidate: Profile, names: dict[str, str]) -> str:
    """Plain language from the factors, with evidence: shared subjects and common slots."""
    reasons = []
    shared = sorted(names.get(s, s) for s in seeker.subjects & candidate.subjects)
    if shared:
        reasons.append(f"you share {_join(shared)}")
    common = mask_to_slots(seeker.schedule_mask & candidate.schedule_mask)
    if common:
        reasons.append("you are both free " + _join([f"{d} {s}" for d, s in common[:3]]))
    if not seeker.has_style or not candidate.has_style:
        reasons.append("learning styles not compared (one profile has none)")
    elif match.style > 0.6:
        reasons.append(f"similar learning style ({match.style:.0%} alike)")
    if match.performance >= 0.75:
        reasons.append("similar academic level")
    lead = "High compatibility" if match.score >= 0.7 else "Good compatibility"
    if not reasons:
        return "Basic compatibility match"
    return f"{lead}: {'; '.join(reasons)}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
