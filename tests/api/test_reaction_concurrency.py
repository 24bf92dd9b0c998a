"""Many members toggling a reaction on one message at once (issue 13, finding 4).

The old toggle (DELETE, then INSERT when nothing was deleted) deadlocked on MariaDB: each
DELETE of a missing row takes a gap lock, and the INSERTs then wait on each other's gaps; 11 of
20 concurrent reactions got 503."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.test_groups import create_group
from tests.helpers import register


async def crowd(client, size: int):
    """A group of `size` active members (the leader included) and one message in it."""
    leader = await register(client)
    gid = (await create_group(client, leader, maxMembers=50))["id"]
    members = [leader]
    for _ in range(size - 1):
        member = await register(client)
        joined = await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
        assert joined.status in (200, 201), await joined.text()
        members.append(member)
    sent = await client.post(
        f"/api/chat/{gid}/send", json={"content": "react to me"}, headers=leader["headers"]
    )
    assert sent.status == 201, await sent.text()
    return gid, members, (await sent.json())["message"]["id"]


async def react_all(client, members, message_id: int, emoji: str) -> list[int]:
    async def react(member) -> int:
        response = await client.post(
            f"/api/chat/message/{message_id}/react",
            json={"emoji": emoji},
            headers=member["headers"],
        )
        return response.status

    return list(await asyncio.gather(*(react(m) for m in members)))


async def reactions_on(client, member, gid: int, message_id: int) -> list[tuple]:
    history = await (
        await client.get(f"/api/chat/{gid}/messages", headers=member["headers"])
    ).json()
    (stored,) = [m for m in history["messages"] if m["id"] == message_id]
    return [(r["emoji"], r["count"], sorted(r["userIds"])) for r in stored["reactions"]]


@pytest.mark.parametrize("size", [20, 40])
async def test_members_reacting_at_once_all_succeed(client, size: int) -> None:
    gid, members, message_id = await crowd(client, size)
    ids = sorted(m["user"]["id"] for m in members)

    assert await react_all(client, members, message_id, "👍") == [200] * size
    assert await reactions_on(client, members[0], gid, message_id) == [("👍", size, ids)]

    # Everyone toggles it off again, at once: no reaction is left.
    assert await react_all(client, members, message_id, "👍") == [200] * size
    assert await reactions_on(client, members[0], gid, message_id) == []
