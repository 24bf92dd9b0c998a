"""Concurrent sends share transactions (group commit) but are still checked and answered one by
one: a refused or repeated send in a batch leaves the others stored."""

from __future__ import annotations

import asyncio

from tests.api.test_chat import room


async def test_concurrent_sends_are_each_checked_and_stored(client) -> None:
    gid, leader, member, outsider = await room(client)

    def post(account, content, **extra):
        return client.post(
            f"/api/chat/{gid}/send", json={"content": content} | extra, headers=account["headers"]
        )

    requests = [post(member, f"m{i}", clientId=f"c{i}") for i in range(12)]
    requests += [post(outsider, "not a member"), post(member, "hear", messageType="announcement")]
    requests += [post(member, "m0 again", clientId="c0"), post(leader, "no client id")]
    responses = await asyncio.gather(*requests)
    bodies = [await response.json() for response in responses]
    statuses = [response.status for response in responses]

    assert statuses[13] == 403 and bodies[13]["error"]["code"] == "forbidden"  # announcement
    assert statuses[12] in (403, 404) and not bodies[12]["success"]  # outsider
    assert statuses[15] == 201
    stored = {body["message"]["clientId"]: body["message"] for body in bodies[:12]}
    assert all(status == 201 for status in statuses[1:12]) and len(stored) == 12
    retry = bodies[14]["message"]  # the same clientId, concurrently: one stored message
    assert sorted([statuses[0], statuses[14]]) == [200, 201]
    assert retry["id"] == stored["c0"]["id"] and retry["content"] == stored["c0"]["content"]

    history = await (
        await client.get(f"/api/chat/{gid}/messages?limit=50", headers=leader["headers"])
    ).json()
    ids = [m["id"] for m in history["messages"]]
    assert len(ids) == 13 and ids == sorted(ids) and len(set(ids)) == 13
    assert {m["id"] for m in stored.values()} | {bodies[15]["message"]["id"]} == set(ids)
