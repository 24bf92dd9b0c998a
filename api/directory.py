"""The group directory and invite links over REST (docs/chat.md "Directory and invites")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from api.groups import group_json
from api.responses import GroupOut
from api.routing import Routes, current_user, ok, path_id
from api.schemas import MAX_ID, MAX_PAGE, CamelIn, CamelOut, SingleLine, Success
from domain.errors import NotFound
from domain.invites import DirectoryFilter, Invite
from wire.times import iso
from wiring.keys import INVITES, SETTINGS

routes = Routes("groups", errors=(403, 404, 409, 410), verified_email=True)

_CODE = "{code}"
# secrets.token_urlsafe output: letters, digits, '-' and '_'.
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class DirectoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(max_length=100, strip_whitespace=True), SingleLine] = ""
    subject: Annotated[
        str, StringConstraints(max_length=100, strip_whitespace=True), SingleLine
    ] = ""
    open: bool = False
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    before: int | None = Field(None, ge=1, le=MAX_ID)


class DirectoryOut(Success):
    groups: list[GroupOut]
    has_more: bool


class InviteIn(CamelIn):
    max_uses: StrictInt | None = Field(None, ge=1, le=100)
    expires_hours: StrictInt | None = Field(None, ge=1, le=720)


class InviteOut(CamelOut):
    code: str
    url: str
    group_id: int
    expires_at: str
    max_uses: int | None
    uses: int
    revoked: bool


class InviteAnswer(Success):
    invite: InviteOut


class InvitesOut(Success):
    invites: list[InviteOut]


class InviteCardOut(Success):
    group: GroupOut
    expires_at: str
    membership: Literal["active", "pending"] | None = Field(
        description="The caller's membership of the group, if any"
    )


class AcceptOut(Success):
    message: str
    status: Literal["active"]
    group: GroupOut


def invite_url(request: web.Request, code: str) -> str:
    """The browser client's landing page for the code (web/js/invites.js reads the fragment),
    on `[email] public_url` when it is set: behind a proxy the request's origin is the internal
    address, and the link is shared outside. With the default, the request's origin."""
    base = request.app[SETTINGS].email.public_base() or str(request.url.origin())
    return f"{base}/#invite={code}"


def invite_json(request: web.Request, invite: Invite) -> dict[str, Any]:
    return {
        "code": invite.code,
        "url": invite_url(request, invite.code),
        "groupId": invite.group_id,
        "expiresAt": iso(invite.expires_at),
        "maxUses": invite.max_uses,
        "uses": invite.uses,
        "revoked": invite.revoked_at is not None,
    }


def invite_code(request: web.Request) -> str:
    """A code that cannot be one is simply not found (no lookup for it)."""
    code = request.match_info["code"]
    if not 16 <= len(code) <= 64 or not set(code) <= _CODE_CHARS:
        raise NotFound("Invite not found")
    return code


@routes.get(
    "/api/groups",
    response=DirectoryOut,
    summary="Browse active groups with room (newest first; filter by text, subject, open)",
)
async def directory(request: web.Request, query: DirectoryQuery) -> web.Response:
    wanted = DirectoryFilter(
        query.q or None, query.subject or None, query.open, query.before, query.limit
    )
    groups, has_more = await request.app[INVITES].directory(wanted)
    return ok(groups=[group_json(group) for group in groups], hasMore=has_more)


@routes.post(
    "/api/groups/{group_id}/invites",
    response=InviteAnswer,
    status=201,
    summary="Create an invite link (leader)",
)
async def create_invite(request: web.Request, body: InviteIn) -> web.Response:
    invite = await request.app[INVITES].create(
        current_user(request).id, path_id(request, "group_id"), body.max_uses, body.expires_hours
    )
    return ok(201, invite=invite_json(request, invite))


@routes.get(
    "/api/groups/{group_id}/invites", response=InvitesOut, summary="The group's invite links"
)
async def list_invites(request: web.Request) -> web.Response:
    invites = await request.app[INVITES].for_group(
        current_user(request).id, path_id(request, "group_id")
    )
    return ok(invites=[invite_json(request, invite) for invite in invites])


@routes.delete(f"/api/invites/{_CODE}", response=InviteAnswer, summary="Revoke (leader)")
async def revoke_invite(request: web.Request) -> web.Response:
    invite = await request.app[INVITES].revoke(current_user(request).id, invite_code(request))
    return ok(invite=invite_json(request, invite) | {"revoked": True})


@routes.get(f"/api/invites/{_CODE}", response=InviteCardOut, summary="The invited group's card")
async def invite_card(request: web.Request) -> web.Response:
    card = await request.app[INVITES].card(current_user(request).id, invite_code(request))
    membership = card.membership.status if card.membership is not None else None
    return ok(
        group=group_json(card.group), expiresAt=iso(card.invite.expires_at), membership=membership
    )


@routes.post(
    f"/api/invites/{_CODE}/accept", response=AcceptOut, summary="Join through an invite link"
)
async def accept_invite(request: web.Request) -> web.Response:
    accepted = await request.app[INVITES].accept(current_user(request).id, invite_code(request))
    message = "Joined the group" if accepted.changed else "You are already a member"
    return ok(message=message, status="active", group=group_json(accepted.group))
