"""A worker process is SIGKILLed under socket traffic.

Its clients reconnect to the surviving worker (as a load balancer would send them), catch up with
`messages:sync` from the last id they saw, and end with every acked message exactly once: no gap,
no duplicate. A send whose ack died with the worker is retried there with the same clientId and
stored once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter

import aiohttp
import socketio

from tests.faults.workers import Api, ChatClient, running_workers, wait_for, write_config

log = logging.getLogger(__name__)
SEND_ERRORS = (socketio.exceptions.TimeoutError, socketio.exceptions.SocketIOError)


async def test_clients_of_a_killed_worker_fail_over_and_catch_up(
    tmp_path, private_redis, private_mariadb
) -> None:
    database = private_mariadb.create_database("worker_killed")
    config = write_config(tmp_path, database, private_redis.url, send_rate_per_minute=100000)
    async with (
        running_workers(tmp_path, config, 2) as (w1, w2),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http,
    ):
        api = Api(http)
        leader, x, y = [await api.register(w2.url) for _ in range(3)]
        group_id = await api.group_with(w2.url, leader, x, y)
        on_victim = [ChatClient("x", x["token"]), ChatClient("watcher", leader["token"])]
        survivor = ChatClient("y", y["token"])
        try:
            for client in on_victim:
                await client.connect(w1.url)
            await survivor.connect(w2.url)
            acked: dict[str, int] = {}
            retried = Counter[str]()
            stop = asyncio.Event()

            async def traffic(client: ChatClient) -> None:
                for n in itertools.count():
                    if stop.is_set():
                        return
                    client_id = f"{client.name}-{n}"
                    while True:  # the same clientId until it is acked
                        if client.connected:
                            try:
                                ack = await client.send(group_id, client_id, timeout=3)
                                assert ack["ok"], ack
                                acked[client_id] = ack["message"]["id"]
                                break
                            except SEND_ERRORS:
                                pass
                        retried[client_id] += 1
                        await asyncio.sleep(0.1)
                    await asyncio.sleep(0.05)

            senders = [asyncio.create_task(traffic(c)) for c in (on_victim[0], survivor)]
            views: dict[str, tuple[list[int], list[int], int]] = {}
            try:
                await asyncio.sleep(1.5)
                await asyncio.to_thread(w1.kill)
                killed_at = time.monotonic()
                for client in on_victim:
                    await wait_for(lambda c=client: not c.connected, f"{client.name} to notice")
                    seen = list(client.live)
                    cursor = max(seen)
                    await client.connect(w2.url)  # the load balancer's other backend
                    caught_up = await client.sync(group_id, after=cursor)
                    views[client.name] = (seen, caught_up, len(client.live))
                log.info("failed over and caught up in %.1fs", time.monotonic() - killed_at)
                await asyncio.sleep(2.0)
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*senders), 30)

            ids = set(acked.values())
            assert len(ids) == len(acked)
            last = max(ids)
            for client in [*on_victim, survivor]:
                await wait_for(lambda c=client: last in c.live, f"{client.name} live")
            for client in on_victim:
                seen, caught_up, live_mark = views[client.name]
                after_reconnect = client.live[len(seen) :]
                assert len(seen) == len(set(seen)), "live duplicate before the kill"
                assert caught_up == sorted(caught_up) and not set(caught_up) & set(seen)
                assert all(i > max(seen) for i in caught_up)
                # The client's view (deduplicated by id, as clients do) is exactly the acked set.
                assert set(seen) | set(caught_up) | set(after_reconnect) == ids, client.name
                assert len(client.live[live_mark:]) == len(set(client.live[live_mark:]))
            stored = await survivor.sync_messages(group_id)
            counts = Counter(message["clientId"] for message in stored)
            assert all(count == 1 for count in counts.values()), counts
            assert {m["clientId"]: m["id"] for m in stored} == acked
            log.info("acked %d; sends retried after the kill: %d", len(acked), len(retried))
        finally:
            for client in [*on_victim, survivor]:
                await client.close()
