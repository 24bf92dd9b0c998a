"""Issue 13, findings 2 and 13 across workers: two real server processes sharing the real Redis
and MariaDB. Sends split over both workers (sockets on one, REST on the other) and connects split
over both get exactly the limit through, however many are fired at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.realtime.conftest import ChatSocket
from tests.realtime.test_concurrent_limits import close_all, connect_many
from tests.realtime.test_two_workers import (
    Worker,
    two_workers,
)

pytestmark = [pytest.mark.redis, pytest.mark.mariadb]
SEND_LIMIT = 20
CONNECTION_CAP = 20  # the default [chat] max_connections_per_user


@pytest.fixture(scope="module")
def limited_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    yield from two_workers(tmp_path_factory, "limits", {"SEND_RATE_PER_MINUTE": str(SEND_LIMIT)})


async def test_300_sends_split_over_two_workers_get_exactly_the_limit(
    limited_workers, rest
) -> None:
    a, b = limited_workers
    alice = await rest.register(a)
    gid = await rest.group(a, alice)
    headers = {"Authorization": f"Bearer {alice['token']}"}

    async def over_rest(n: int) -> tuple[bool, int | None]:
        url = f"{b.url}/api/chat/{gid}/send"
        async with rest.http.post(url, json={"content": f"rest {n}"}, headers=headers) as response:
            body = await response.json()
            assert response.status in (201, 429), (response.status, body)
            return response.status == 201, body["message"]["id"] if response.status == 201 else None

    sock = await ChatSocket().connect(a.url, alice["token"])
    try:

        async def over_socket(n: int) -> tuple[bool, int | None]:
            payload = {"groupId": gid, "content": f"socket {n}"}
            ack = await sock.call("message:send", payload, 60)
            assert ack["ok"] or ack["error"]["code"] == "rate_limited", ack
            return ack["ok"], ack["message"]["id"] if ack["ok"] else None

        outcomes = await asyncio.gather(
            *(over_socket(n) for n in range(150)), *(over_rest(n) for n in range(150))
        )
    finally:
        await sock.close()
    accepted = {message_id for ok, message_id in outcomes if ok}
    assert len(accepted) == SEND_LIMIT, Counter(ok for ok, _ in outcomes)
    page = await rest.call("GET", f"{a.url}/api/chat/{gid}/messages?limit=200", alice)
    assert {m["id"] for m in page["messages"]} == accepted  # a refused send stored nothing


async def test_40_connects_split_over_two_workers_get_exactly_the_cap(
    limited_workers, rest
) -> None:
    a, b = limited_workers
    alice = await rest.register(a)
    connected, refused = await connect_many([a.url, b.url] * 20, alice["token"])
    try:
        assert (len(connected), refused) == (CONNECTION_CAP, 40 - CONNECTION_CAP)
        await close_all(connected[:6])
        await asyncio.sleep(0.3)
        again, refused = await connect_many([b.url, a.url] * 5, alice["token"])
        connected += again
        assert (len(again), refused) == (6, 4)  # exactly the freed slots, on either worker
    finally:
        await close_all([sio for sio in connected if sio.connected])
