"""Recommendations (groups and partners) and semantic search, in the origin's card shapes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictInt, StringConstraints, model_validator

from api.groups import CreatedGroupOut, group_json
from api.matching_models import DismissOut, RecommendOut, SearchOut
from api.routing import Routes, current_user, ok
from api.schemas import CamelIn, SingleLine
from domain.matching_records import (
    GroupCard,
    Recommendation,
    Recommendations,
    SearchHit,
    StudentRecord,
    SuggestedCard,
)
from wire.times import iso
from wiring.keys import MATCHING

routes = Routes("matching", errors=(503,), verified_email=True)


class RecommendIn(CamelIn):
    limit: int = Field(20, ge=1, le=100)
    kind: Literal["groups", "partners", "suggested", "both"] = "both"


Subject = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
SuggestionKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{20}$")]


class SearchIn(CamelIn):
    query: Annotated[str, StringConstraints(max_length=500), SingleLine] = ""
    subjects: list[Subject] = Field(default_factory=list, max_length=20)
    limit: int = Field(10, ge=1, le=50)

    @model_validator(mode="after")
    def _something_to_search(self) -> SearchIn:
        if not self.query and not self.subjects:
            raise ValueError("give a query, subjects, or both")
        return self


class DismissIn(CamelIn):
    kind: Literal["group", "partner", "suggested"]
    id: Annotated[StrictInt, Field(ge=1)] | SuggestionKey  # a suggested group's key


class FromSuggestionIn(CamelIn):
    key: SuggestionKey
    title: Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine] | None = None


def _compatibility(item: Recommendation) -> dict[str, float]:
    m = item.match
    return {
        "subject": round(m.subject, 4),
        "schedule": round(m.schedule, 4),
        "learningStyle": round(m.style, 4),
        "performance": round(m.performance, 4),
        "goals": round(m.goals, 4),  # 0 when not compared (renormalised: docs/matching.md)
    }


def _group_fields(group: GroupCard, percentage: int, schedule: str) -> dict[str, Any]:
    """What a recommended group and a found group show alike."""
    return {
        "id": group.id,
        "kind": "group",
        "title": group.title,
        "matchPercentage": percentage,
        "memberInfo": f"{len(group.member_ids)} of {group.max_members} members",
        "schedule": schedule,
        "focus": group.subject,
        "location": group.location,
        "action": "Request to Join" if group.join_policy == "approval" else "Join",
        "suggested": False,
        "maxMembers": group.max_members,
        "currentMembers": len(group.member_ids),
        "leaderName": group.leader_name,
    }


def _student_fields(
    student: StudentRecord, kind: str, percentage: int, member_info: str
) -> dict[str, Any]:
    """What a recommended partner and a found student show alike."""
    return {
        "id": student.id,
        "kind": kind,
        "title": student.name,
        "name": student.name,
        "major": student.major,
        "year": student.year,
        "subjects": student.subjects,
        "matchPercentage": percentage,
        "memberInfo": member_info,
        "focus": ", ".join(student.subjects[:2]),
        "location": student.university or "Campus Study Areas",
        "action": "Invite to Study",
        "suggested": False,
    }


def group_card(item: Recommendation) -> dict[str, Any]:
    group = item.group
    assert group is not None
    schedule = group.schedule or item.schedule_text
    return _group_fields(group, item.match.percentage, schedule) | {
        "explanation": item.explanation,
        "compatibility": _compatibility(item),
        "joinPolicy": group.join_policy,
    }


def partner_card(item: Recommendation) -> dict[str, Any]:
    student = item.student
    assert student is not None
    info = ", ".join(p for p in (student.major, student.year) if p) or "Student"
    return _student_fields(student, "partner", item.match.percentage, info) | {
        "schedule": item.schedule_text,
        "explanation": item.explanation,
        "compatibility": _compatibility(item),
    }


def create_group_card(result: Recommendations, matched_any: bool) -> dict[str, Any]:
    """The origin's closing card (its wording), built from the caller's real subjects."""
    seeker = result.seeker
    major = seeker.major or "study"
    keys = ("subject", "schedule", "learningStyle", "performance", "goals")
    ones = dict.fromkeys(keys, 1.0)
    card = {
        "id": 0,
        "kind": "create",
        "matchPercentage": None,
        "action": "Start Group",
        "suggested": True,
        "compatibility": ones,
    }
    if matched_any:
        return card | {
            "title": "Create Your Own Group",
            "memberInfo": f"Or start your own {major} group",
            "schedule": "Lead a group based on your preferences",
            "focus": ", ".join(seeker.subjects[:2]),
            "location": "Your preferred location",
            "explanation": "Perfect opportunity to lead your own study group based on your "
            "preferences",
        }
    return card | {
        "title": "Create Your Own Study Group",
        "memberInfo": "No existing groups match your profile yet.",
        "schedule": "Set your own schedule based on your availability",
        "focus": ", ".join(seeker.subjects[:3]),
        "location": "Choose your preferred study location",
        "explanation": result.create_explanation,
    }


def suggested_card(card: SuggestedCard) -> dict[str, Any]:
    group = card.group
    return {
        "key": group.key,
        "members": [{"id": i, "name": name} for i, name in card.members],
        "subjects": card.subjects,
        "commonSlots": [{"day": day, "slot": slot} for day, slot in group.common_slots],
        "matchPercentage": group.percentage,  # the least-satisfied member's
        "explanation": group.explanation,
        "size": group.size,
    }


@routes.post(
    "/api/recommend",
    response=RecommendOut,
    summary="Groups, partners and suggested new groups that match you",
)
async def recommend(request: web.Request, body: RecommendIn) -> web.Response:
    result = await request.app[MATCHING].recommend(current_user(request).id, body.kind, body.limit)
    cards = [group_card(item) for item in result.groups]
    cards.append(create_group_card(result, bool(cards)))
    partners = [partner_card(p) for p in result.partners]
    suggested = [suggested_card(s) for s in result.suggested]
    return ok(recommendations=cards, partners=partners, suggestedGroups=suggested, hint=result.hint)


@routes.post(
    "/api/recommend/dismiss",
    response=DismissOut,
    errors=(404, 503),
    summary="Hide a recommended group, partner or suggested group for a while",
)
async def dismiss(request: web.Request, body: DismissIn) -> web.Response:
    done = await request.app[MATCHING].dismiss(current_user(request).id, body.kind, body.id)
    shown: int | str = int(done.target) if done.kind != "suggested" else done.target
    return ok(dismissed={"kind": done.kind, "id": shown, "expiresAt": iso(done.until)})


@routes.post(
    "/api/groups/from-suggestion",
    response=CreatedGroupOut,
    status=201,
    errors=(404, 409, 503),
    summary="Create a suggested group (you lead it; the others are invited)",
)
async def from_suggestion(request: web.Request, body: FromSuggestionIn) -> web.Response:
    service = request.app[MATCHING]
    group = await service.create_from_suggestion(current_user(request).id, body.key, body.title)
    return ok(201, message="Group created; the others are invited", group=group_json(group))


def search_result(hit: SearchHit) -> dict[str, Any]:
    percentage = hit.percentage
    if hit.group is not None:
        return _group_fields(hit.group, percentage, hit.group.schedule) | {"name": hit.group.title}
    student = hit.student
    assert student is not None
    return _student_fields(student, "user", percentage, "Actively seeking study partners")


@routes.post("/api/search", response=SearchOut, summary="Semantic search over students and groups")
async def search(request: web.Request, body: SearchIn) -> web.Response:
    user_id = current_user(request).id
    hits = await request.app[MATCHING].search(user_id, body.query, body.limit, body.subjects)
    return ok(results=[search_result(hit) for hit in hits])


@routes.post("/api/search/people", response=SearchOut, summary="Semantic search over students only")
async def search_people(request: web.Request, body: SearchIn) -> web.Response:
    user_id = current_user(request).id
    hits = await request.app[MATCHING].search(
        user_id, body.query, body.limit, body.subjects, people_only=True
    )
    return ok(results=[search_result(hit) for hit in hits])
