"""Mentions and pins across two real server processes (shared MariaDB and Redis): the mentioned
member's socket on the other worker gets `notification:new`; the room there gets
`message:pinned`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realtime.test_two_workers import Worker, send, two_workers

pytestmark = [pytest.mark.redis, pytest.mark.mariadb]


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    yield from two_workers(tmp_path_factory, "threads")


async def test_mention_on_one_worker_notifies_on_the_other(workers, rest, worker_sockets) -> None:
    a, b = workers
    leader, member, bystander = [await rest.register(a) for _ in range(3)]
    gid = await rest.group(a, leader)
    await rest.join(b, gid, member)
    await rest.join(b, gid, bystander)
    on_a, member_on_b, bystander_on_b = (
        await worker_sockets(a, leader),
        await worker_sockets(b, member),
        await worker_sockets(b, bystander),
    )
    parent = await send(member_on_b, gid, "who knows?")
    message = await send(on_a, gid, "me", replyTo=parent["id"], mentions=[member["user"]["id"]])
    assert message["replyTo"]["id"] == parent["id"]
    note = (await member_on_b.next("notification:new"))["notification"]
    assert note["type"] == "mention" and note["messageId"] == message["id"]
    stored = await rest.call("GET", f"{a.url}/api/notifications", member)
    assert stored["notifications"] == [note]

    via_rest = await rest.call(
        "POST",
        f"{b.url}/api/chat/{gid}/send",
        leader,
        {"content": "again", "mentions": [member["user"]["id"]]},
    )
    note = (await member_on_b.next("notification:new"))["notification"]
    assert note["messageId"] == via_rest["message"]["id"]
    await bystander_on_b.quiet("notification:new")


async def test_pin_on_one_worker_reaches_the_room_on_the_other(
    workers, rest, worker_sockets
) -> None:
    a, b = workers
    leader, member = await rest.register(a), await rest.register(b)
    gid = await rest.group(a, leader)
    await rest.join(b, gid, member)
    member_on_b = await worker_sockets(b, member)
    message = await send(member_on_b, gid, "pin this")
    answer = await rest.call("POST", f"{a.url}/api/chat/message/{message['id']}/pin", leader)
    assert answer["pinned"] is True
    pinned = await member_on_b.next("message:pinned")
    assert pinned == {"groupId": gid, "messageId": message["id"], "pinned": True}
    listed = await rest.call("GET", f"{b.url}/api/chat/{gid}/pins", member)
    assert [m["id"] for m in listed["messages"]] == [message["id"]]
