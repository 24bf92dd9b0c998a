"""Matching's records: stored profiles and group cards as the index sees them, the embedder it
needs, and what recommendations and searches return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from domain.groups import GroupDetails
from matching.formation import SuggestedGroup
from matching.scoring import Match, match_percentage


class TextEmbedder(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def state(self) -> str: ...  # "loading" | "loaded" | "failed"

    async def start(self) -> None: ...
    async def wait_ready(self, within_seconds: float) -> bool: ...
    async def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class StoredEmbedding:
    model: str
    text_sha256: str
    vector: bytes | None
    search_vector: bytes


@dataclass(frozen=True)
class StudentRecord:
    id: int
    name: str
    major: str
    year: str
    university: str
    subjects: list[str]
    schedule: dict[str, list[str]]
    performance_level: int
    learning_style: str
    embedding: StoredEmbedding | None
    study_goals: tuple[str, ...] = ()  # groupPreferences.studyGoals
    group_size: int | None = None  # groupPreferences.groupSize, when given

    @property
    def search_text(self) -> str:
        parts = [self.name, self.major, ", ".join(self.subjects), self.learning_style]
        return " ".join(part for part in parts if part)


@dataclass(frozen=True, kw_only=True)
class GroupCard(GroupDetails):
    id: int
    leader_name: str
    member_ids: tuple[int, ...]
    requester_ids: tuple[int, ...] = ()  # pending join requests: not offered back to them

    @property
    def is_full(self) -> bool:
        return len(self.member_ids) >= self.max_members

    @property
    def search_text(self) -> str:
        return " ".join(p for p in (self.title, self.subject, self.description) if p)


@dataclass(frozen=True)
class Recommendation:
    kind: str  # "group" | "partner"
    match: Match
    explanation: str
    group: GroupCard | None = None
    student: StudentRecord | None = None
    schedule_text: str = ""


@dataclass(frozen=True)
class SuggestedCard:
    """A proposed new group (matching.formation) with what its card shows."""

    group: SuggestedGroup
    members: list[tuple[int, str]]  # (id, name), the caller first
    subjects: list[str]  # display names of the subjects all members study


@dataclass(frozen=True)
class Recommendations:
    groups: list[Recommendation]
    partners: list[Recommendation]
    seeker: StudentRecord
    hint: str | None = None  # for a caller without a schedule: nothing could be ruled out
    create_explanation: str = ""  # the closing "create your own group" card's text
    suggested: list[SuggestedCard] = field(default_factory=list)


@dataclass(frozen=True)
class SearchHit:
    kind: str
    score: float
    student: StudentRecord | None = None
    group: GroupCard | None = None

    @property
    def percentage(self) -> int:
        return match_percentage(self.score)
