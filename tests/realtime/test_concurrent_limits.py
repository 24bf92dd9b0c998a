"""Issue 13: limits that hold when requests are fired at once (asyncio.gather), against the real
app on a test server (SQLite and MariaDB unless marked one_backend): the send rate on one socket
and over REST, the per-user connection cap, the typing relay, and per-user history reads.
The two-worker variants are in tests/realtime/test_limits_two_workers.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import pytest
import socketio

from domain.chat import NewMessage
from settings import ChatSettings
from tests.api.test_groups import create_group
from tests.helpers import register
from tests.realtime.conftest import ChatSocket, base_url
from wiring.keys import CHAT


async def chat_app(make_client: Any, **chat: Any) -> Any:
    """The real app with these [chat] settings (the rest as in config.toml)."""
    return await make_client(chat=ChatSettings(**chat))


async def group_of(client: Any, *members: dict[str, Any]) -> int:
    gid = (await create_group(client, members[0], maxMembers=20))["id"]
    for member in members[1:]:
        response = await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
        assert response.status == 200, await response.text()
    return gid


async def stored(client: Any, account: dict[str, Any], gid: int) -> list[dict[str, Any]]:
    response = await client.get(f"/api/chat/{gid}/messages?limit=200", headers=account["headers"])
    assert response.status == 200, await response.text()
    return (await response.json())["messages"]


@contextlib.asynccontextmanager
async def socket(client: Any, account: dict[str, Any]) -> Any:
    sock = ChatSocket()
    try:
        yield await sock.connect(base_url(client), account["token"])
    finally:
        await sock.close()


# ---- finding 2: the send rate ---------------------------------------------------------------


async def socket_burst(client: Any, limit: int | None, burst: int) -> None:
    alice = await register(client)
    gid = await group_of(client, alice)
    async with socket(client, alice) as sock:
        payloads = [{"groupId": gid, "content": f"burst {n}"} for n in range(burst)]
        acks = await asyncio.gather(*(sock.call("message:send", p, 30) for p in payloads))
    accepted = [ack for ack in acks if ack["ok"]]
    refused = [ack for ack in acks if not ack["ok"]]
    expected = limit or 120
    assert len(accepted) == expected, Counter(str(ack.get("error")) for ack in refused)
    assert {ack["error"]["code"] for ack in refused} == {"rate_limited"}
    assert {m["id"] for m in await stored(client, alice, gid)} == {
        ack["message"]["id"] for ack in accepted
    }  # a refused send stored nothing


async def test_a_burst_of_1000_sends_on_one_socket_gets_exactly_the_limit(make_client) -> None:
    await socket_burst(await chat_app(make_client, send_rate_per_minute=20), 20, 1000)


@pytest.mark.one_backend
async def test_the_default_send_limit_holds_for_a_burst_on_one_socket(make_client) -> None:
    await socket_burst(await chat_app(make_client), None, 300)  # default: 120 per minute


async def test_200_parallel_rest_sends_get_exactly_the_limit(make_client) -> None:
    client = await chat_app(make_client, send_rate_per_minute=20)
    alice = await register(client)
    gid = await group_of(client, alice)

    async def send(n: int) -> tuple[int, Any, str | None]:
        response = await client.post(
            f"/api/chat/{gid}/send", json={"content": f"rest {n}"}, headers=alice["headers"]
        )
        return response.status, await response.json(), response.headers.get("Retry-After")

    outcomes = await asyncio.gather(*(send(n) for n in range(200)))
    assert Counter(status for status, _, _ in outcomes) == {201: 20, 429: 180}
    for status, body, retry_after in outcomes:
        if status == 429:
            assert body["error"]["code"] == "rate_limited" and int(retry_after or 0) >= 1
    created = {body["message"]["id"] for status, body, _ in outcomes if status == 201}
    assert {m["id"] for m in await stored(client, alice, gid)} == created


async def test_a_retry_of_a_stored_client_id_over_the_limit_gets_its_message(make_client) -> None:
    client = await chat_app(make_client, send_rate_per_minute=3)
    alice = await register(client)
    gid = await group_of(client, alice)
    async with socket(client, alice) as sock:
        sends = [{"groupId": gid, "content": f"m{n}", "clientId": f"c{n}"} for n in range(3)]
        first = [await sock.ok("message:send", payload) for payload in sends]
        retry = {"groupId": gid, "content": "m0", "clientId": "c0"}
        new = [{"groupId": gid, "content": f"new {n}", "clientId": f"n{n}"} for n in range(20)]
        acks = await asyncio.gather(*(sock.call("message:send", p) for p in [retry, *new]))
    assert acks[0] == {"ok": True, "message": first[0]["message"]}
    assert {ack["error"]["code"] for ack in acks[1:]} == {"rate_limited"}
    response = await client.post(
        f"/api/chat/{gid}/send", json={"content": "m1", "clientId": "c1"}, headers=alice["headers"]
    )
    assert response.status == 200 and (await response.json())["message"] == first[1]["message"]
    assert [m["clientId"] for m in await stored(client, alice, gid)] == ["c0", "c1", "c2"]


# ---- finding 13: the connection cap ---------------------------------------------------------


async def connect_many(urls: list[str], token: str) -> tuple[list[socketio.AsyncClient], int]:
    """Connect one socket per url at once; returns the connected ones and the refusal count."""

    async def one(url: str) -> socketio.AsyncClient | None:
        sio = socketio.AsyncClient(reconnection=False)
        try:
            await sio.connect(
                url,
                namespaces=["/chat"],
                auth={"token": token},
                transports=["websocket"],
                wait_timeout=10,
            )
        except socketio.exceptions.ConnectionError:
            await sio.disconnect()
            return None
        return sio

    results = await asyncio.gather(*(one(url) for url in urls))
    connected = [sio for sio in results if sio is not None]
    return connected, len(results) - len(connected)


async def close_all(clients: list[socketio.AsyncClient]) -> None:
    await asyncio.gather(*(asyncio.wait_for(sio.disconnect(), 5) for sio in clients))


@pytest.mark.one_backend
async def test_40_simultaneous_connects_get_exactly_the_cap(make_client) -> None:
    client = await chat_app(make_client)  # default cap: 20
    alice, bob = await register(client), await register(client)
    url = base_url(client)
    connected, refused = await connect_many([url] * 40, alice["token"])
    try:
        assert (len(connected), refused) == (20, 20)
        await close_all(connected[:5])
        await asyncio.sleep(0.2)
        again, refused = await connect_many([url] * 8, alice["token"])
        connected += again
        assert (len(again), refused) == (5, 3)  # exactly the freed slots
        others, refused = await connect_many([url] * 2, bob["token"])  # per user
        connected += others
        assert (len(others), refused) == (2, 0)
    finally:
        await close_all([sio for sio in connected if sio.connected])


# ---- finding 16: typing ---------------------------------------------------------------------


@pytest.mark.one_backend
async def test_a_typing_burst_reaches_a_bystander_at_most_once_and_the_stop_always(
    make_client,
) -> None:
    client = await chat_app(make_client)
    typist, bystander = await register(client), await register(client)
    gid = await group_of(client, typist, bystander)
    async with socket(client, typist) as loud, socket(client, bystander) as quiet:
        start = {"groupId": gid, "isTyping": True}
        acks = await asyncio.gather(*(loud.call("typing", start) for _ in range(200)))
        assert acks == [{"ok": True}] * 200
        await loud.ok("typing", {"groupId": gid, "isTyping": False})
        relayed = [await quiet.next("typing")]
        await asyncio.sleep(0.5)
        while not quiet.queues["typing"].empty():
            relayed.append(quiet.queues["typing"].get_nowait())
        assert [event["isTyping"] for event in relayed] == [True, False], relayed
        stops = [loud.call("typing", {"groupId": gid, "isTyping": False}) for _ in range(50)]
        assert await asyncio.gather(*stops) == [{"ok": True}] * 50
        await quiet.quiet("typing")  # repeated stops change nothing, so they are not relayed


# ---- finding 12: heavy history reads --------------------------------------------------------


@pytest.mark.one_backend
async def test_a_storm_of_big_history_reads_is_bounded_per_user(make_client) -> None:
    client = await chat_app(make_client, send_rate_per_minute=1000)
    reader, bystander = await register(client), await register(client)
    gid = await group_of(client, reader, bystander)
    send_url = f"/api/chat/{gid}/send"
    for n in range(0, 200, 50):
        sends = [{"content": f"page {m}"} for m in range(n, n + 50)]
        await asyncio.gather(
            *(client.post(send_url, json=b, headers=reader["headers"]) for b in sends)
        )

    async def read(account: dict[str, Any]) -> tuple[int, str | None, Any]:
        response = await client.get(
            f"/api/chat/{gid}/messages?limit=200", headers=account["headers"]
        )
        return response.status, response.headers.get("Retry-After"), await response.json()

    async def health() -> int:
        return (await client.get("/api/health")).status

    storm = [read(reader) for _ in range(200)]
    outcomes = await asyncio.gather(*storm, read(bystander), health())
    *reader_outcomes, (bystander_status, _, page), health_status = outcomes
    statuses = Counter(status for status, _, _ in reader_outcomes)
    assert set(statuses) == {200, 429} and statuses[429] > 0, statuses
    for status, retry_after, body in reader_outcomes:
        if status == 429:
            assert body["error"]["code"] == "rate_limited" and retry_after == "1"
        else:
            assert len(body["messages"]) == 200
    assert bystander_status == 200 and len(page["messages"]) == 200  # a per-user bound
    assert health_status == 200
    reads = client.server.app[CHAT].history_reads
    assert reads.refused == statuses[429] and len(reads) == 0  # every slot was given back
    assert (await read(reader))[0] == 200


async def test_a_send_whose_caller_went_away_keeps_its_slot_and_blocks_no_one(
    make_client,
) -> None:
    """A cancelled caller (client gone, server shutting down) must not cancel the batch's shared
    future: the batch would store the message, fail to answer it, and hang the sends after it."""
    client = await chat_app(make_client, send_rate_per_minute=5)
    alice = await register(client)
    gid = await group_of(client, alice)
    chat = client.server.app[CHAT]
    uid = alice["user"]["id"]
    sends = [asyncio.ensure_future(chat.send(uid, NewMessage(gid, f"m{n}"))) for n in range(5)]
    await asyncio.sleep(0)  # all reserved and queued
    sends[1].cancel()
    done = await asyncio.wait_for(asyncio.gather(*sends, return_exceptions=True), 10)
    assert isinstance(done[1], asyncio.CancelledError)
    assert all(not isinstance(outcome, BaseException) for n, outcome in enumerate(done) if n != 1)
    extra = await client.post(
        f"/api/chat/{gid}/send", json={"content": "6"}, headers=alice["headers"]
    )
    assert extra.status == 429  # the cancelled send was stored, so its slot still counts
    assert len(await stored(client, alice, gid)) == 5
