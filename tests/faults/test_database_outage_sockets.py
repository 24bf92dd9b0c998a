"""MariaDB restarts under socket traffic to a real worker process.

Sends during the outage are acked `unavailable` (never ok for unsaved data), the pool recovers by
itself, and retrying the failed sends with the same clientId stores each exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
import time
from collections import Counter

import aiohttp
import pytest
import socketio

from tests.faults.workers import Api, ChatClient, running_workers, write_config

log = logging.getLogger(__name__)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["clean", "crash"])
async def test_socket_sends_during_a_mariadb_restart(
    tmp_path, private_mariadb, stop_signal
) -> None:
    database = private_mariadb.create_database("db_outage")
    config = write_config(tmp_path, database, send_rate_per_minute=100000)
    async with (
        running_workers(tmp_path, config, 1) as (worker,),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http,
    ):
        api = Api(http)
        leader = await api.register(worker.url)
        group_id = await api.group_with(worker.url, leader)
        client = ChatClient("leader", leader["token"])
        try:
            await client.connect(worker.url)
            stored: dict[str, int] = {}  # clientId -> id of every send acked ok
            failed: list[str] = []  # clientIds acked unavailable (or never acked)
            codes: Counter[str] = Counter()
            numbers = itertools.count()
            outage = asyncio.Event()
            recovered = asyncio.Event()

            async def traffic() -> None:
                while not recovered.is_set():
                    client_id = f"m-{next(numbers)}"
                    try:
                        ack = await client.send(group_id, client_id, timeout=20)
                    except socketio.exceptions.TimeoutError:
                        codes["no ack"] += 1
                        failed.append(client_id)
                        continue
                    if ack["ok"]:
                        stored[client_id] = ack["message"]["id"]
                        if outage.is_set() and codes["unavailable"]:
                            recovered.set()  # the pool reconnected by itself
                    else:
                        codes[ack["error"]["code"]] += 1
                        failed.append(client_id)
                    await asyncio.sleep(0.05)

            sender = asyncio.create_task(traffic())
            try:
                await asyncio.sleep(1.0)
                await asyncio.to_thread(private_mariadb.stop, stop_signal)
                await asyncio.sleep(2.0)
                outage.set()
                await asyncio.to_thread(private_mariadb.start)
                started = time.monotonic()
                await asyncio.wait_for(recovered.wait(), 60)
                log.info("first ok send %.1fs after MariaDB was back", time.monotonic() - started)
            finally:
                recovered.set()
                await asyncio.wait_for(sender, 30)

            assert set(codes) <= {"unavailable"}, codes  # never internal_error, never a hang
            assert codes["unavailable"] > 0, "no send happened during the outage"
            # Retried with the same clientId: stored once; a second retry returns the same message.
            for client_id in failed:
                first = await client.send(group_id, client_id)
                again = await client.send(group_id, client_id)
                assert first["ok"] and again["ok"], (first, again)
                assert first["message"]["id"] == again["message"]["id"]
                stored[client_id] = first["message"]["id"]
            messages = await client.sync_messages(group_id)
            by_client_id = Counter(message["clientId"] for message in messages)
            assert all(count == 1 for count in by_client_id.values()), by_client_id
            assert {m["clientId"]: m["id"] for m in messages} == stored  # every ok was stored
            log.info("sent %d, %d refused during the outage: %s", len(stored), len(failed), codes)
        finally:
            await client.close()
