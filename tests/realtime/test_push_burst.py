"""A burst of posted messages is planned for push in one unit of work (domain/push_batch.py),
with the same rule as one message at a time: levels, blocks, the author left out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from domain.chat import Message
from domain.events import MessagePosted
from domain.push import PushService
from realtime.presence import MemoryPresence
from realtime.push_dispatcher import PushDispatcher
from storage.engine import create_engine
from storage.uow import UnitOfWorkFactory
from tests.api.test_groups import create_group
from tests.helpers import register
from tests.realtime.push_helpers import (
    Subscriber,
    push_enabled_client,  # noqa: F401 (the `client` fixture)
)
from wiring.keys import PUSH_DRAIN


async def post(client: Any, path: str, account: dict[str, Any], body: Any = None) -> Any:
    response = await client.post(path, json=body, headers=account["headers"])
    assert response.status in (200, 201), await response.text()
    return await response.json()


async def test_a_burst_pushes_exactly_what_one_message_at_a_time_would(
    client, push_service
) -> None:
    alice, bob, carol, dave = [await register(client) for _ in range(4)]
    one = (await create_group(client, alice, title="One"))["id"]
    two = (await create_group(client, carol, title="Two"))["id"]
    for group_id, members in ((one, (bob, carol)), (two, (alice, bob, dave))):
        for member in members:
            await post(client, f"/api/groups/{group_id}/join", member)
    browsers = {name: Subscriber() for name in ("bob", "carol", "dave")}
    for name, account in (("bob", bob), ("carol", carol), ("dave", dave)):
        await post(
            client,
            "/api/push/subscriptions",
            account,
            browsers[name].body(push_service.url(f"/push/{name}")),
        )
    await post(client, f"/api/users/{carol['user']['id']}/block", bob)  # bob hears no carol
    me = f"/api/groups/{two}/me"
    answer = await client.patch(me, json={"notifications": "none"}, headers=dave["headers"])
    assert answer.status == 200

    async def say(group_id: int, author: dict[str, Any], n: int) -> tuple[int, int]:
        body = {"content": f"{author['user']['name']} {n}"}
        message = (await post(client, f"/api/chat/{group_id}/send", author, body))["message"]
        return message["id"], group_id

    burst = [(one, alice), (one, carol), (two, carol), (two, alice)] * 4
    sent = await asyncio.gather(*(say(g, a, n) for n, (g, a) in enumerate(burst)))
    await client.server.app[PUSH_DRAIN]()
    await asyncio.sleep(0.3)  # the POSTs to the local push service land

    by_author = {id_: author for id_, (_, author) in zip(sent, burst, strict=True)}
    expected = {
        "bob": {m for m, a in by_author.items() if a is alice},  # carol blocked
        "carol": {m for m, a in by_author.items() if a is alice},  # never her own
        "dave": set(),  # level "none" in Two, not in One
    }
    titles = {one: "One", two: "Two"}
    for name, browser in browsers.items():
        payloads = [browser.decrypt(r) for r in push_service.at(f"/push/{name}")]
        got = {(p["messageId"], p["groupId"]) for p in payloads}
        assert got == expected[name], name
        for p in payloads:
            assert p["title"].endswith(f" in {titles[p['groupId']]}")


async def test_a_queued_burst_is_planned_in_one_unit_of_work(sqlite_database_url) -> None:
    units: list[float] = []
    engine = create_engine(sqlite_database_url)
    service = PushService(UnitOfWorkFactory(engine, observe=units.append), _no_check)
    dispatcher = PushDispatcher(service, MemoryPresence(), {}, workers=1)
    try:
        for n in range(30):
            await dispatcher.on_event(MessagePosted(_message(n)))
        await dispatcher.start()
        await dispatcher.drain(5)
        assert dispatcher.pending == 0
        assert len(units) == 1  # was one per message
    finally:
        await dispatcher.close(1)
        await engine.dispose()


async def _no_check(_new: Any) -> None:
    return None


def _message(n: int) -> Message:
    return Message(
        id=n + 1,
        group_id=1 + n % 3,
        user_id=1 + n % 2,
        user_name="Someone",
        content=f"burst {n}",
        message_type="text",
        image_url=None,
        client_id=None,
        created_at=datetime.now(UTC),
        edited_at=None,
    )
