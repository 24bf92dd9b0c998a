"""GET /api/auth/me/export: one section per area, each a query by the user's id.

To add an area, add one entry to EXPORT_SECTIONS, usually
`"uploads": rows_where(uploads.c.user_id)` (columns that are secrets or binary go in `omit`).
A section returns plain values (datetimes stay datetimes; api/ makes the JSON)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import (
    account_tokens,
    constellation_attempts,
    constellations,
    focus_sessions,
    group_members,
    group_sessions,
    matching_dismissals,
    message_mentions,
    message_pins,
    message_reactions,
    messages,
    notifications,
    posts,
    refresh_tokens,
    session_rsvps,
    users,
)

ExportSection = Callable[[AsyncConnection, int], Awaitable[Any]]


def rows_where(owner: Column[Any], *, omit: tuple[str, ...] = ()) -> ExportSection:
    """Every row of `owner`'s table whose `owner` column is the user, oldest first, without
    the `omit` columns."""
    table = owner.table
    columns = [column for column in table.c if column.name not in omit]
    order = table.c.id if "id" in table.c else owner

    async def section(db: AsyncConnection, user_id: int) -> list[dict[str, Any]]:
        rows = await db.execute(select(*columns).where(owner == user_id).order_by(order))
        return [dict(row._mapping) for row in rows]

    return section


async def _profile(db: AsyncConnection, user_id: int) -> dict[str, Any] | None:
    columns = [column for column in users.c if column.name != "password_hash"]
    row = (await db.execute(select(*columns).where(users.c.id == user_id))).first()
    return dict(row._mapping) if row else None


_SECRETS = ("token_hash",)

EXPORT_SECTIONS: dict[str, ExportSection] = {
    "profile": _profile,
    "memberships": rows_where(group_members.c.user_id),  # with each group's read marker
    "messages": rows_where(messages.c.user_id),
    "reactions": rows_where(message_reactions.c.user_id),
    "rsvps": rows_where(session_rsvps.c.user_id),
    "sessions_created": rows_where(group_sessions.c.created_by),
    "notifications": rows_where(notifications.c.user_id),
    "constellations": rows_where(constellations.c.created_by),
    "attempts": rows_where(constellation_attempts.c.user_id),
    "focus_sessions": rows_where(focus_sessions.c.user_id),
    "posts": rows_where(posts.c.user_id),
    "sign_ins": rows_where(refresh_tokens.c.user_id, omit=_SECRETS),
    "mail_tokens": rows_where(account_tokens.c.user_id, omit=_SECRETS),
    "mentions": rows_where(message_mentions.c.user_id),  # messages that mention the user
    "pins": rows_where(message_pins.c.pinned_by),
    "matching_dismissals": rows_where(matching_dismissals.c.user_id),
}
