"""Concurrent sends share transactions (group commit) but are still checked and answered one by
one: a refused or repeated send in a batch leaves the others stored."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from storage.engine import create_engine
from storage.tables import study_groups
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


async def test_a_committed_message_never_has_an_older_id_still_to_come(
    make_client, database_url
) -> None:
    """Catch-up by `after=<last id seen>` has no gaps only if a group's messages commit in id
    order, also when two server processes (two connection pools here) write to one group."""
    first = await make_client()
    second = await make_client()
    gid, leader, member, _ = await room(first)
    seen_at_ack: dict[int, set[int]] = {}

    async def send_and_look(client, account, n: int) -> None:
        sent = await client.post(
            f"/api/chat/{gid}/send", json={"content": f"m{n}"}, headers=account["headers"]
        )
        message_id = (await sent.json())["message"]["id"]
        page = await client.get(f"/api/chat/{gid}/messages?limit=200", headers=account["headers"])
        seen_at_ack[message_id] = {m["id"] for m in (await page.json())["messages"]}

    await asyncio.gather(
        *(send_and_look(first, leader, n) for n in range(30)),
        *(send_and_look(second, member, n) for n in range(30, 60)),
    )
    every_id = set(seen_at_ack)
    for message_id, seen in seen_at_ack.items():
        older = {i for i in every_id if i < message_id}
        assert older <= seen, f"{sorted(older - seen)} committed after {message_id}"


async def test_a_batch_checks_its_sends_before_it_waits_for_the_group_locks(
    client, database_url
) -> None:
    """The group row locks (commit order across workers) are taken after the checks, so a
    refused send is answered while another transaction holds its group's lock."""
    if not database_url.startswith("mysql"):
        pytest.skip("SQLite writers take the database lock at BEGIN; no row locks")
    gid, _leader, member, outsider = await room(client)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as other_worker:  # another worker's batch, mid-commit
            await other_worker.execute(
                select(study_groups.c.id).where(study_groups.c.id == gid).with_for_update()
            )
            started = time.monotonic()
            refused = await client.post(
                f"/api/chat/{gid}/send", json={"content": "hi"}, headers=outsider["headers"]
            )
            assert refused.status in (403, 404)
            assert time.monotonic() - started < 1.0  # was: waited for the lock (~50 s)
            waiting = asyncio.ensure_future(
                client.post(
                    f"/api/chat/{gid}/send", json={"content": "ok"}, headers=member["headers"]
                )
            )
            await asyncio.sleep(0.5)
            assert not waiting.done()  # an accepted send still waits for the lock
        assert (await waiting).status == 201
    finally:
        await engine.dispose()
