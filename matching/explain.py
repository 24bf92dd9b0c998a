"""Plain-language explanations of a match: evidence first (shared subjects, common slots,
goals, style, level), and no empty-profile glitches."""

from __future__ import annotations

from collections.abc import Mapping

from matching.profile import Profile, mask_to_slots
from matching.scoring import Match

# How a shared goal reads after "both ...". Other goals read "both aiming for <goal>".
GOAL_PHRASES = {
    "exam prep": "preparing for exams",
    "exam preparation": "preparing for exams",
    "exams": "preparing for exams",
    "homework help": "working through homework",
    "homework": "working through homework",
    "deep understanding": "after a deep understanding",
    "project work": "working on projects",
    "projects": "working on projects",
    "accountability": "looking for accountability",
}


def join_words(items: list[str]) -> str:
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def goal_phrase(goal: str, names: Mapping[str, str] | None = None) -> str:
    shown = (names or {}).get(goal, goal)
    return GOAL_PHRASES.get(goal, f"aiming for {shown}")


def shared_goals_text(goals: frozenset[str], names: Mapping[str, str] | None = None) -> str:
    """ "preparing for exams and working on projects" (distinct phrases, stable order)."""
    phrases = list(dict.fromkeys(goal_phrase(g, names) for g in sorted(goals)))
    return join_words(phrases)


def goal_reason(
    match: Match, seeker: Profile, candidate: Profile, names: Mapping[str, str] | None = None
) -> str:
    if not match.goals_compared:
        return "study goals not compared (one profile lists none)"
    shared = seeker.goals & candidate.goals
    if shared:
        return "both " + shared_goals_text(shared, names)
    return "different study goals"


def explain_match(
    match: Match,
    seeker: Profile,
    candidate: Profile,
    subject_names: Mapping[str, str],
    goal_names: Mapping[str, str] | None = None,
) -> str:
    """Evidence first: shared subjects, common slots, goals, style, level."""
    reasons = []
    shared = sorted(subject_names.get(s, s) for s in seeker.subjects & candidate.subjects)
    if shared:
        reasons.append(f"you share {join_words(shared)}")
    common = mask_to_slots(seeker.schedule_mask & candidate.schedule_mask)
    if common:
        reasons.append("you are both free " + join_words([f"{d} {s}" for d, s in common[:3]]))
    reasons.append(goal_reason(match, seeker, candidate, goal_names))
    if not seeker.has_style or not candidate.has_style:
        reasons.append("learning styles not compared (one profile has none)")
    elif match.style > 0.6:
        reasons.append(f"similar learning style ({match.style:.0%} alike)")
    if match.performance >= 0.75:
        reasons.append("similar academic level")
    lead = "High compatibility" if match.score >= 0.7 else "Good compatibility"
    return f"{lead}: {'; '.join(reasons)}"


def create_group_explanation(subjects: list[str], major: str) -> str:
    """The closing "create your own group" card's text when nothing matched. An empty profile
    gets advice instead of "Other students studying study are looking…"."""
    topic = major.strip() or (subjects[0].strip() if subjects else "")
    subjects = [s.strip() for s in subjects if s.strip()]
    if subjects:
        return (
            f"Be the first to start a {topic} group! Other students studying "
            f"{join_words(subjects[:2])} are looking for groups to join."
        )
    if topic:
        return (
            f"Be the first to start a {topic} group! Other {topic} students are looking for "
            "groups to join."
        )
    return (
        "Be the first to start a study group! Add your subjects and free times to your "
        "profile so we can find students to study with."
    )
