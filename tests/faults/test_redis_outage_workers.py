"""Redis stops under live traffic between two worker processes, then comes back.

Every acked message reaches every member (live or through `messages:sync` catch-up, no duplicate
ids), REST keeps serving, health says degraded meanwhile, and afterwards both cross-worker paths
recover without a restart: python-socketio's pub/sub listener (live emits) and our change feed
(a membership change made on one worker moves the user's socket on the other).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time

import aiohttp

from tests.faults.workers import Api, ChatClient, running_workers, wait_for, write_config

log = logging.getLogger(__name__)


async def test_acked_messages_survive_a_redis_outage_between_two_workers(
    tmp_path, private_redis, private_mariadb
) -> None:
    database = private_mariadb.create_database("redis_outage")
    config = write_config(tmp_path, database, private_redis.url, send_rate_per_minute=100000)
    timeout = aiohttp.ClientTimeout(total=15)
    async with (
        running_workers(tmp_path, config, 2) as (w1, w2),
        aiohttp.ClientSession(timeout=timeout) as http,
    ):
        api = Api(http)
        a, b, c, d = [await api.register(w.url) for w in (w1, w2, w1, w2)]
        group_id = await api.group_with(w1.url, a, b, c)
        clients = [
            ChatClient("a", a["token"]),
            ChatClient("b", b["token"]),
            ChatClient("c", c["token"]),
        ]
        outsider = ChatClient("d", d["token"])  # not a member yet; sits on worker 2
        try:
            for client, worker in zip(clients, (w1, w2, w1), strict=True):
                await client.connect(worker.url)
            await outsider.connect(w2.url)
            acked: set[int] = set()
            counter = itertools.count()
            stop_traffic = asyncio.Event()

            async def traffic(client: ChatClient) -> None:
                while not stop_traffic.is_set():
                    ack = await client.send(group_id, f"{client.name}-{next(counter)}")
                    assert ack["ok"], ack  # the database is up: every send is stored and acked
                    acked.add(ack["message"]["id"])
                    await asyncio.sleep(0.05)

            senders = [asyncio.create_task(traffic(client)) for client in clients]
            try:
                await asyncio.sleep(1.0)
                await asyncio.to_thread(private_redis.stop)
                await asyncio.sleep(1.0)
                for worker in (w1, w2):  # REST keeps serving; health says degraded
                    status, body = await api.call(
                        "GET", f"{worker.url}/api/groups/mine", a["token"]
                    )
                    assert status == 200, body
                    _, health = await api.call("GET", f"{worker.url}/api/health")
                    assert health["status"] == "degraded" and health["redis"] == "down", health
                sent_during_outage = len(acked)
                await asyncio.sleep(2.0)
                assert len(acked) > sent_during_outage, "sends stalled while Redis was down"
                await asyncio.to_thread(private_redis.start)
                await asyncio.sleep(1.0)
            finally:
                stop_traffic.set()
                await asyncio.wait_for(asyncio.gather(*senders), 30)

            # Live cross-worker delivery recovers by itself: a message sent on worker 1 reaches
            # b's socket on worker 2 without going through catch-up.
            started = time.monotonic()

            async def probe_reaches_b() -> bool:
                ack = await clients[0].send(group_id, f"probe-{next(counter)}")
                assert ack["ok"], ack
                acked.add(ack["message"]["id"])
                with contextlib.suppress(AssertionError):
                    await wait_for(lambda: ack["message"]["id"] in clients[1].live, "probe", 2.0)
                    return True
                return False

            while not await probe_reaches_b():
                assert time.monotonic() - started < 90, "pub/sub listener never recovered"
            log.info(
                "live delivery recovered %.1fs after Redis restarted", time.monotonic() - started
            )

            # The change feed recovers too: d joins on worker 1; worker 2 moves d's socket into
            # the group room, so d receives the next message live.
            while True:
                status, body = await api.call(
                    "POST", f"{w1.url}/api/groups/{group_id}/join", d["token"]
                )
                assert status == 200, body
                ack = await clients[0].send(group_id, f"feed-probe-{next(counter)}")
                probe_id = ack["message"]["id"]
                acked.add(probe_id)
                with contextlib.suppress(AssertionError):
                    await wait_for(lambda i=probe_id: i in outsider.live, "feed probe", 2.0)
                    break
                assert time.monotonic() - started < 90, "change feed never recovered"
                await api.call("POST", f"{w1.url}/api/groups/{group_id}/leave", d["token"])

            # Every acked message reached every member: live, or by catch-up. No duplicates.
            final = [await client.send(group_id, f"final-{client.name}") for client in clients]
            acked.update(ack["message"]["id"] for ack in final)
            last = max(acked)
            for client in clients:
                await wait_for(lambda client=client: last in client.live, f"{client.name} live")
                synced = await client.sync(group_id)
                assert len(synced) == len(set(synced)), "catch-up returned a duplicate"
                assert len(client.live) == len(set(client.live)), "live delivered a duplicate"
                assert set(client.live) | set(synced) == acked, client.name
                assert set(synced) == acked  # catch-up alone is complete, too
            missed = {c.name: len(acked - set(c.live)) for c in clients}
            log.info("acked %d messages; missed live (caught up): %s", len(acked), missed)
        finally:
            for client in [*clients, outsider]:
                await client.close()
