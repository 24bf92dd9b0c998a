"""Study groups over REST (the StudySync README's and mobile client's paths)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictInt, StringConstraints

from api.responses import GroupDetailOut, GroupOut, MyGroupOut
from api.routing import Routes, current_user, ok, path_id
from api.schemas import CamelIn, MessageOut, MultiLine, SingleLine, Success
from domain.groups import Group, GroupDetails, Member, Membership, MyGroup
from wire.chat import message_payload
from wire.groups import member_payload
from wire.times import iso
from wiring.keys import GROUPS

routes = Routes("groups", errors=(403, 409), verified_email=True)


class CreatedGroupOut(MessageOut):
    group: GroupOut


class MyGroupsOut(Success):
    groups: list[MyGroupOut]


class GroupAnswer(Success):
    group: GroupDetailOut


class JoinOut(MessageOut):
    status: Literal["active", "pending"]


class GroupIn(CamelIn):
    title: Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
    subject: Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
    description: Annotated[str, StringConstraints(max_length=2000), MultiLine] = ""
    schedule: Annotated[str, StringConstraints(max_length=200), SingleLine] = "Flexible"
    location: Annotated[str, StringConstraints(max_length=200), SingleLine] = "TBD"
    max_members: StrictInt = Field(6, ge=2, le=50)
    join_policy: Literal["open", "approval"] = "open"


def group_json(
    group: Group, membership: Membership | None = None, members: list[Member] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.id,
        "title": group.title,
        "subject": group.subject,
        "description": group.description,
        "schedule": group.schedule,
        "location": group.location,
        "maxMembers": group.max_members,
        "currentMembers": group.current_members,
        "joinPolicy": group.join_policy,
        "leaderId": group.leader_id,
        "leaderName": group.leader_name,
        "leader": group.leader_name,
        "createdAt": iso(group.created_at),
    }
    if membership is not None:
        body |= {
            "role": membership.role,
            "status": membership.status,
            "joinedAt": iso(membership.joined_at),
        }
    if members is not None:
        body["members"] = [member_payload(member) for member in members]
    return body


def my_group_json(item: MyGroup) -> dict[str, Any]:
    last = item.last_message
    return group_json(item.group, item.membership) | {
        "unreadCount": item.unread_count,
        "lastMessage": message_payload(last) if last is not None else None,
    }


@routes.post(
    "/api/groups/create",
    response=CreatedGroupOut,
    status=201,
    summary="Create a group (you lead it)",
)
async def create_group(request: web.Request, body: GroupIn) -> web.Response:
    details = GroupDetails(**body.model_dump())
    group = await request.app[GROUPS].create(current_user(request).id, details)
    return ok(201, message="Group created", group=group_json(group))


@routes.get(
    "/api/groups/mine",
    response=MyGroupsOut,
    summary="Groups where you are an active or pending member",
)
async def my_groups(request: web.Request) -> web.Response:
    items = await request.app[GROUPS].mine(current_user(request).id)
    return ok(groups=[my_group_json(item) for item in items])


@routes.get(
    "/api/groups/{group_id}", response=GroupAnswer, summary="A group; members see the member list"
)
async def group_details(request: web.Request) -> web.Response:
    group_id = path_id(request, "group_id")
    group, membership, members = await request.app[GROUPS].details(
        current_user(request).id, group_id
    )
    visible = members if membership is not None and membership.status == "active" else None
    return ok(group=group_json(group, membership, visible))


async def _join(request: web.Request) -> web.Response:
    result = await request.app[GROUPS].join(current_user(request).id, path_id(request, "group_id"))
    if result.status == "active":
        message = "Joined the group" if result.changed else "You are already a member"
    else:
        message = "Request sent to the group leader" if result.changed else "Request already sent"
    return ok(status=result.status, message=message)


routes.post(
    "/api/groups/{group_id}/join", response=JoinOut, summary="Join (open) or ask to join (approval)"
)(_join)
routes.post("/api/groups/{group_id}/request-join", response=JoinOut, summary="Alias of /join")(
    _join
)


async def _decide(request: web.Request, approve: bool) -> web.Response:
    await request.app[GROUPS].decide(
        current_user(request).id,
        path_id(request, "group_id"),
        path_id(request, "user_id"),
        approve,
    )
    return ok(message="Request approved" if approve else "Request declined")


@routes.post(
    "/api/groups/{group_id}/requests/{user_id}/approve",
    response=MessageOut,
    summary="Leader approves",
)
async def approve(request: web.Request) -> web.Response:
    return await _decide(request, approve=True)


@routes.post(
    "/api/groups/{group_id}/requests/{user_id}/reject",
    response=MessageOut,
    summary="Leader declines",
)
async def reject(request: web.Request) -> web.Response:
    return await _decide(request, approve=False)


@routes.post(
    "/api/groups/{group_id}/leave",
    response=MessageOut,
    summary="Leave (a leader hands over or closes)",
)
async def leave(request: web.Request) -> web.Response:
    await request.app[GROUPS].leave(current_user(request).id, path_id(request, "group_id"))
    return ok(message="You left the group")


@routes.delete(
    "/api/groups/{group_id}/members/{user_id}",
    response=MessageOut,
    summary="Leader removes a member",
)
async def remove_member(request: web.Request) -> web.Response:
    await request.app[GROUPS].remove_member(
        current_user(request).id, path_id(request, "group_id"), path_id(request, "user_id")
    )
    return ok(message="Member removed")
