"""Per-room Redis channels across two real worker processes (realtime/room_channels.py): a
worker decodes a group room's messages only while it has a member in that room, subscription
follows live joins and leaves, and nothing is lost or duplicated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.realtime.test_two_workers import (
    Worker,
    send,
    two_workers,
)

pytestmark = [pytest.mark.redis, pytest.mark.mariadb]
SETTLE = 5.0  # seconds a worker may take to reflect a subscription change


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    yield from two_workers(tmp_path_factory, "roomchannels")


async def pubsub(worker: Worker) -> dict[str, float]:
    """This worker's room-channel figures from /metrics, e.g. {"room/local": 3, "channels": 2}."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{worker.url}/metrics") as response,
    ):
        text = await response.text()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "studysync_realtime_pubsub_messages_total":
                out[f"{sample.labels['channel']}/{sample.labels['recipients']}"] = sample.value
            elif sample.name == "studysync_realtime_room_channels":
                out["channels"] = sample.value
            elif sample.name == "studysync_realtime_pubsub_own_skipped_total":
                out["own"] = sample.value
    return out


async def until_channels(worker: Worker, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + SETTLE
    while (await pubsub(worker)).get("channels") != count:
        assert asyncio.get_running_loop().time() < deadline, await pubsub(worker)
        await asyncio.sleep(0.05)


async def test_room_without_local_member_is_not_decoded(workers, rest, worker_sockets) -> None:
    a, b = workers
    leader, member, watcher = [await rest.register(b) for _ in range(3)]
    only_b = await rest.group(b, leader)
    await rest.join(b, only_b, member)
    both = await rest.group(b, leader, title="On both workers")
    await rest.join(b, both, watcher)
    leader_on_b, member_on_b = await worker_sockets(b, leader), await worker_sockets(b, member)
    watcher_on_a = await worker_sockets(a, watcher)  # A has a member in `both` only
    await until_channels(a, 1)
    await until_channels(b, 2)
    before_a, before_b = await pubsub(a), await pubsub(b)

    messages = [await send(leader_on_b, only_b, f"B only {i}") for i in range(5)]
    for message in messages:
        assert (await member_on_b.next("message:new"))["message"] == message
    shared = await send(leader_on_b, both, "reaches A")
    assert (await watcher_on_a.next("message:new"))["message"] == shared

    after_a, after_b = await pubsub(a), await pubsub(b)
    kinds = ("room/local", "room/none", "broadcast/none")
    decoded = {k: after_a.get(k, 0) - before_a.get(k, 0) for k in kinds}
    assert decoded == {"room/local": 1, "room/none": 0, "broadcast/none": 0}, (before_a, after_a)
    # B hears its own broadcasts back from Redis (it is subscribed) and skips them undecoded
    assert after_b.get("own", 0) - before_b.get("own", 0) == 6
    assert after_b.get("room/local", 0) == before_b.get("room/local", 0)
    await watcher_on_a.quiet("message:new", 0.2)


async def test_subscription_follows_live_join_and_leave(workers, rest, worker_sockets) -> None:
    a, b = workers
    leader, newcomer = await rest.register(b), await rest.register(b)
    gid = await rest.group(b, leader)
    leader_on_b, newcomer_on_a = await worker_sockets(b, leader), await worker_sockets(a, newcomer)
    channels_a = (await pubsub(a)).get("channels", 0)

    assert await rest.join(b, gid, newcomer) == "active"  # REST on B, the socket on A
    await until_channels(a, channels_a + 1)
    sent = await send(leader_on_b, gid, "live join")
    assert (await newcomer_on_a.next("message:new"))["message"]["id"] == sent["id"]

    await rest.call("POST", f"{a.url}/api/groups/{gid}/leave", newcomer)
    await until_channels(a, channels_a)
    before = await pubsub(a)
    await send(leader_on_b, gid, "after leaving")
    await newcomer_on_a.quiet("message:new")
    assert (await pubsub(a)).get("room/none", 0) == before.get("room/none", 0)

    # Rejoin: subscribed again, delivered again (no reconnect)
    assert await rest.join(a, gid, newcomer) == "active"
    await until_channels(a, channels_a + 1)
    again = await send(leader_on_b, gid, "rejoined")
    assert (await newcomer_on_a.next("message:new"))["message"]["id"] == again["id"]


async def test_last_disconnect_unsubscribes_and_reconnect_subscribes(
    workers, rest, worker_sockets
) -> None:
    a, b = workers
    leader, member = await rest.register(b), await rest.register(b)
    gid = await rest.group(b, leader)
    await rest.join(b, gid, member)
    leader_on_b = await worker_sockets(b, leader)
    channels_a = (await pubsub(a)).get("channels", 0)
    first, second = await worker_sockets(a, member), await worker_sockets(a, member)
    await until_channels(a, channels_a + 1)
    await first.close()
    await asyncio.sleep(0.2)
    assert (await pubsub(a))["channels"] == channels_a + 1  # the second socket is still there
    sent = await send(leader_on_b, gid, "to the second socket")
    assert (await second.next("message:new"))["message"]["id"] == sent["id"]
    await second.close()
    await until_channels(a, channels_a)
    third = await worker_sockets(a, member)
    sent = await send(leader_on_b, gid, "after reconnecting")
    assert (await third.next("message:new"))["message"]["id"] == sent["id"]


async def test_no_lost_or_duplicated_deliveries_across_workers_and_transports(
    workers, rest, worker_sockets
) -> None:
    a, b = workers
    accounts = [await rest.register(a) for _ in range(6)]
    gid = await rest.group(a, accounts[0])
    for account in accounts[1:]:
        await rest.join(b, gid, account)
    socks = [await worker_sockets((a, b)[i % 2], account) for i, account in enumerate(accounts[:5])]
    socks.append(await worker_sockets(b, accounts[5], transport="polling"))  # mixed transports
    senders = socks[:4]  # two on each worker
    per_sender = 15

    async def burst(n: int, sock: Any) -> list[int]:
        sent = await asyncio.gather(
            *(send(sock, gid, f"s{n} m{i}", clientId=f"burst-{n}-{i}") for i in range(per_sender))
        )
        return [message["id"] for message in sent]

    bursts = await asyncio.gather(*map(burst, range(4), senders))
    sent_ids = sorted(i for ids in bursts for i in ids)
    assert len(set(sent_ids)) == 4 * per_sender
    for sock in socks[:5]:  # the websocket clients
        received = [(await sock.next("message:new"))["message"]["id"] for _ in sent_ids]
        assert sorted(received) == sent_ids  # every message, once
        await sock.quiet("message:new", 0.1)
    await asyncio.sleep(2)
    polled = socks[5].queues["message:new"]
    live = sorted(polled.get_nowait()["message"]["id"] for _ in range(polled.qsize()))
    assert len(live) == len(set(live)) and set(live) <= set(sent_ids)  # never a duplicate
    # Every message live, also on polling: engine.io answered a poll with the whole burst in one
    # payload, which the python client refuses past 16 packets (realtime/polling.py).
    assert live == sent_ids, f"polling client received {len(live)} of {len(sent_ids)} live"
