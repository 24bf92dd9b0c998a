from __future__ import annotations

from domain.notifications import NewNotification
from storage.engine import create_engine
from storage.uow import SqlUnitOfWork
from tests.helpers import expect_error, register


async def _notify(database_url: str, user_ids: list[int], title: str) -> None:
    engine = create_engine(database_url)
    try:
        async with SqlUnitOfWork(engine) as uow:
            note = NewNotification("join_request", title, f"{title} message", {"groupId": 1})
            await uow.notifications.add_many(user_ids, note)
            await uow.commit()
    finally:
        await engine.dispose()


async def test_list_and_mark_read_only_own(client, database_url) -> None:
    alice = await register(client)
    bob = await register(client)
    await _notify(database_url, [alice["user"]["id"]], "first")
    await _notify(database_url, [alice["user"]["id"], bob["user"]["id"]], "second")
    body = await (await client.get("/api/notifications", headers=alice["headers"])).json()
    assert [n["title"] for n in body["notifications"]] == ["second", "first"]
    assert body["unreadCount"] == 2 and body["notifications"][0]["read"] is False
    first_id = body["notifications"][1]["id"]
    await expect_error(
        await client.post(f"/api/notifications/{first_id}/read", headers=bob["headers"]), 404
    )
    response = await client.post(f"/api/notifications/{first_id}/read", headers=alice["headers"])
    assert response.status == 200
    body = await (await client.get("/api/notifications?limit=1", headers=alice["headers"])).json()
    assert body["unreadCount"] == 1 and len(body["notifications"]) == 1
    await expect_error(
        await client.get("/api/notifications?limit=0", headers=alice["headers"]), 422
    )
    await expect_error(
        await client.get("/api/notifications?limit=201", headers=alice["headers"]), 422
    )
