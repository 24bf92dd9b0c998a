"""The card shapes of recommendations and searches (the origin's, camelCase)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas import CamelOut, Success


class CompatibilityOut(CamelOut):
    subject: float
    schedule: float
    learning_style: float
    performance: float
    goals: float


class _CardOut(CamelOut):
    id: int
    title: str
    match_percentage: int
    member_info: str
    focus: str
    location: str
    action: str
    suggested: bool


class _GroupFieldsOut(_CardOut):
    kind: Literal["group"]
    schedule: str
    max_members: int
    current_members: int
    leader_name: str


class _StudentFieldsOut(_CardOut):
    name: str
    major: str
    year: str
    subjects: list[str]


class GroupCardOut(_GroupFieldsOut):
    explanation: str
    compatibility: CompatibilityOut
    join_policy: Literal["open", "approval"]


class PartnerCardOut(_StudentFieldsOut):
    kind: Literal["partner"]
    schedule: str
    explanation: str
    compatibility: CompatibilityOut


class CreateCardOut(CamelOut):
    """The closing card that invites the caller to start a group."""

    id: Literal[0]
    kind: Literal["create"]
    match_percentage: None
    action: str
    suggested: Literal[True]
    compatibility: CompatibilityOut
    title: str
    member_info: str
    schedule: str
    focus: str
    location: str
    explanation: str


class GroupHitOut(_GroupFieldsOut):
    name: str


class StudentHitOut(_StudentFieldsOut):
    kind: Literal["user"]


class SuggestedMemberOut(CamelOut):
    id: int
    name: str


class SlotOut(CamelOut):
    day: str
    slot: str


class SuggestedGroupOut(CamelOut):
    """A proposed new group: the caller first; all members share a slot and a subject."""

    key: str = Field(description="Stable id of this proposal: POST /api/groups/from-suggestion")
    members: list[SuggestedMemberOut]
    subjects: list[str]
    common_slots: list[SlotOut]
    match_percentage: int = Field(description="The least-satisfied member's (least misery)")
    explanation: str
    size: int


class RecommendOut(Success):
    recommendations: list[GroupCardOut | CreateCardOut]
    partners: list[PartnerCardOut]
    suggested_groups: list[SuggestedGroupOut]
    hint: str | None = Field(
        description="Set when the caller has no schedule: nothing could be ruled out as a time "
        "they cannot meet, so they are asked to add their free times."
    )


class SearchOut(Success):
    results: list[GroupHitOut | StudentHitOut]


class DismissedOut(CamelOut):
    kind: Literal["group", "partner", "suggested"]
    id: int | str
    expires_at: str


class DismissOut(Success):
    dismissed: DismissedOut
