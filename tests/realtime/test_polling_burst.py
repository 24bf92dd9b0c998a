"""Long-polling clients (realtime/polling.py): in a burst of broadcasts every poll answer holds
at most 16 packets (what the python-engineio client decodes), nothing is lost or reordered and
the python-socketio client stays connected through it; a client's CLOSE answers its waiting
poll at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from realtime.polling import MAX_PACKETS_PER_POLL
from tests.realtime.conftest import base_url
from tests.realtime.test_socket_events import rest_send, trio

pytestmark = pytest.mark.one_backend
BURST = 40
RECORD_SEPARATOR = "\x1e"


class RawPoller:
    """An Engine.IO v4 long-polling session by hand, on /chat."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, f"{url}/socket.io/?EIO=4&transport=polling"

    async def open(self, token: str) -> None:
        async with self.http.get(self.url) as response:
            opened = json.loads((await response.text())[1:])
        self.url += f"&sid={opened['sid']}"
        auth = json.dumps({"token": token})
        async with self.http.post(self.url, data=f"40/chat,{auth}") as response:
            assert response.status == 200

    async def close(self) -> None:
        async with self.http.post(self.url, data="1") as response:
            assert response.status == 200

    async def poll(self) -> list[str]:
        async with self.http.get(self.url, timeout=aiohttp.ClientTimeout(total=10)) as response:
            assert response.status == 200
            return (await response.text()).split(RECORD_SEPARATOR)


def message_ids(packets: list[str]) -> list[int]:
    events = [json.loads(p[len("42/chat,") :]) for p in packets if p.startswith("42/chat,")]
    return [data["message"]["id"] for name, data in events if name == "message:new"]


async def test_poll_answers_are_bounded_and_lose_nothing(client: Any, sockets: Any) -> None:
    gid, (leader, member, _), _ = await trio(client, sockets)
    polling = await sockets(member["token"], transport="polling")
    async with aiohttp.ClientSession() as http:
        raw = RawPoller(http, base_url(client))
        await raw.open(member["token"])
        await raw.poll()  # the namespace's connect answer
        sent = [(await rest_send(client, gid, leader, f"burst {i}"))["id"] for i in range(BURST)]
        received: list[int] = []
        sizes: list[int] = []
        while len(received) < BURST:
            packets = await raw.poll()
            sizes.append(len(packets))
            received += message_ids(packets)
    assert received == sent  # all, once, in order
    assert max(sizes) == MAX_PACKETS_PER_POLL  # the burst was queued and cut into answers
    live = [(await polling.next("message:new"))["message"]["id"] for _ in sent]
    assert live == sent and polling.connected
    await asyncio.sleep(0.2)
    assert polling.queues["message:new"].empty()


async def test_a_close_answers_the_waiting_poll_at_once(client: Any, sockets: Any) -> None:
    _, (_, member, _), _ = await trio(client, sockets)
    async with aiohttp.ClientSession() as http:
        raw = RawPoller(http, base_url(client))
        await raw.open(member["token"])
        await raw.poll()  # the namespace's connect answer
        waiting = asyncio.ensure_future(raw.poll())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # nothing to send: the poll waits (up to the ping timeout)
        await raw.close()
        answer = await asyncio.wait_for(waiting, 3)  # engine.io alone: at the ping timeout, 45 s
    assert answer == [""]  # an empty payload
    polling = await sockets(member["token"], transport="polling")
    await asyncio.wait_for(polling.close(), 3)  # python-socketio's disconnect waits for it
