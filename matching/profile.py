"""Profile normalisation shared by validation and scoring: subjects, weekly schedule, levels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SLOTS = ("morning", "afternoon", "evening", "night")
# The origin client's labels, e.g. "Evening (5-9 PM)", and the bare words, case-insensitively.
SLOT_LABELS = ("Morning (8-12 PM)", "Afternoon (12-5 PM)", "Evening (5-9 PM)", "Night (9-12 AM)")
EMBEDDING_DIM = 384

_DAY_BY_KEY = {day.lower(): index for index, day in enumerate(DAYS)}
_DAY_BY_KEY.update({day[:3].lower(): index for index, day in enumerate(DAYS)})
_SLOT_BY_KEY = {slot: index for index, slot in enumerate(SLOTS)}
_SLOT_BY_KEY.update({" ".join(label.lower().split()): i for i, label in enumerate(SLOT_LABELS)})


def normalise_subject(subject: str) -> str:
    return " ".join(subject.casefold().split())


def subject_set(subjects: list[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(s for s in (normalise_subject(x) for x in subjects) if s)


def goal_set(goals: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Study goals (`groupPreferences.studyGoals`), normalised like subjects: "Exam  Prep" and
    "exam prep" are one goal."""
    return subject_set(goals)


def _day_index(day: str) -> int:
    index = _DAY_BY_KEY.get(day.strip().lower())
    if index is None:
        raise ValueError(f"unknown day {day!r}: use Monday..Sunday")
    return index


def _slot_index(slot: str) -> int:
    index = _SLOT_BY_KEY.get(" ".join(slot.lower().split()))
    if index is None:
        raise ValueError(f"unknown time slot {slot!r}: use one of {', '.join(SLOT_LABELS)}")
    return index


def schedule_mask(schedule: dict[str, list[str]]) -> int:
    """28-bit mask of (day, slot) pairs: bit day*4 + slot. Raises ValueError naming bad input."""
    mask = 0
    for day, slots in schedule.items():
        day_index = _day_index(day)
        for slot in slots:
            mask |= 1 << (day_index * len(SLOTS) + _slot_index(slot))
    return mask


def mask_to_slots(mask: int) -> list[tuple[str, str]]:
    return [
        (DAYS[bit // len(SLOTS)], SLOTS[bit % len(SLOTS)])
        for bit in range(len(DAYS) * len(SLOTS))
        if mask >> bit & 1
    ]


def format_schedule(mask: int) -> str:
    """Plain description of the actual slots, e.g. "Mon/Wed evenings, Tue mornings"."""
    days_by_slot: dict[str, list[str]] = {}
    for day, slot in mask_to_slots(mask):
        days_by_slot.setdefault(slot, []).append(day[:3])
    if not days_by_slot:
        return "Flexible schedule"
    return ", ".join(f"{'/'.join(days)} {slot}s" for slot, days in days_by_slot.items())


def check_performance(level: int) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise ValueError("performance level must be an integer from 1 to 5")
    return level


@dataclass(frozen=True)
class Profile:
    """What matching needs to know about one student (or one group)."""

    id: int
    subjects: frozenset[str]
    schedule_mask: int
    performance: float
    embedding: np.ndarray | None  # float32, L2-normalised, 384-d; None: no learning style
    goals: frozenset[str] = frozenset()  # normalised study goals (goal_set); empty: none listed
    # Whether the schedule constrains anyone. None: derived from the mask (a student without
    # slots is unconstrained). A group whose members share no slot knows its schedule (True)
    # although its common mask is 0: nobody can meet it (group_profile(flexible=True)).
    schedule_known: bool | None = None
    preferred_size: int | None = None  # groupPreferences.groupSize, when given

    @property
    def has_style(self) -> bool:
        return self.embedding is not None

    @property
    def has_schedule(self) -> bool:
        return self.schedule_mask != 0 if self.schedule_known is None else self.schedule_known

    @property
    def has_goals(self) -> bool:
        return bool(self.goals)


def can_meet(a: Profile, b: Profile) -> bool:
    """Feasibility (pairwise reference): both have a schedule and share no (day, slot) → False."""
    if not (a.has_schedule and b.has_schedule):
        return True
    return a.schedule_mask & b.schedule_mask != 0
