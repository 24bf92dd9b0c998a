"""Push to offline members, end to end: the real app, a local push service, decryption with the
subscriber's key (docs/notifications.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from settings import PushSettings
from tests.api.test_groups import create_group
from tests.helpers import expect_error, register
from tests.realtime.push_helpers import (
    TEST_VAPID_KEY,
    Subscriber,
    check_vapid,
    push_enabled_client,  # noqa: F401 (the `client` fixture)
)
from wiring.keys import PUSH_DRAIN

QUIET = 0.5


async def subscribe(client: Any, account: dict[str, Any], body: dict[str, Any]) -> Any:
    return await client.post("/api/push/subscriptions", json=body, headers=account["headers"])


async def drained(client: Any) -> None:
    await client.server.app[PUSH_DRAIN]()


async def pair(client: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    alice, bob = await register(client), await register(client)
    group_id = (await create_group(client, alice, title="Linear Algebra"))["id"]
    assert (await client.post(f"/api/groups/{group_id}/join", headers=bob["headers"])).ok
    return group_id, alice, bob


async def say(client: Any, group_id: int, account: dict[str, Any], text: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/chat/{group_id}/send", json={"content": text}, headers=account["headers"]
    )
    assert response.status == 201
    return (await response.json())["message"]


async def test_an_offline_member_gets_an_encrypted_signed_push(client, push_service) -> None:
    group_id, alice, bob = await pair(client)
    browser = Subscriber()
    answer = await subscribe(client, bob, browser.body(push_service.url("/push/bob")))
    assert answer.status == 201
    assert (await subscribe(client, bob, browser.body(push_service.url("/push/bob")))).status == 200
    key = await (await client.get("/api/push/vapid-public-key", headers=bob["headers"])).json()
    text = "Has anyone solved 4b? " + "x" * 200
    message = await say(client, group_id, alice, text)

    (received,) = await push_service.wait_for("/push/bob")
    payload = browser.decrypt(received)
    assert payload == {
        "type": "message",
        "groupId": group_id,
        "messageId": message["id"],
        "title": f"{alice['user']['name']} in Linear Algebra",
        "body": payload["body"],
        "url": f"/?group={group_id}",
    }
    assert len(payload["body"]) <= 120 and payload["body"].startswith("Has anyone solved 4b?")
    check_vapid(received, push_service.base, key["publicKey"])
    headers = received.headers
    assert headers["Content-Encoding"] == "aes128gcm" and int(headers["TTL"]) == 86400
    assert headers["Urgency"] == "normal" and len(headers["Topic"]) == 32
    await say(client, group_id, alice, "second")
    second = (await push_service.wait_for("/push/bob", 2))[1]
    assert second.headers["Topic"] == headers["Topic"]  # one group's pushes collapse
    assert push_service.at("/push/alice") == []  # the author is not pushed


async def test_an_open_socket_suppresses_the_push(client, sockets, push_service) -> None:
    group_id, alice, bob = await pair(client)
    browser = Subscriber()
    assert (await subscribe(client, bob, browser.body(push_service.url("/push/bob")))).ok
    sock = await sockets(bob["token"])
    await say(client, group_id, alice, "you are online")
    await sock.next("message:new")
    await drained(client)
    assert push_service.at("/push/bob") == []
    await sock.close()
    await say(client, group_id, alice, "now you are not")
    (received,) = await push_service.wait_for("/push/bob")
    assert browser.decrypt(received)["body"] == "now you are not"


async def test_a_gone_subscription_is_deleted(client, push_service) -> None:
    group_id, alice, bob = await pair(client)
    push_service.statuses["/push/gone"] = 410
    assert (await subscribe(client, bob, Subscriber().body(push_service.url("/push/gone")))).ok
    await say(client, group_id, alice, "one")
    await push_service.wait_for("/push/gone")
    await drained(client)
    await say(client, group_id, alice, "two")
    await drained(client)
    assert len(push_service.at("/push/gone")) == 1  # deleted after the 410: not tried again


async def test_notification_levels(client, push_service) -> None:
    group_id, alice, bob = await pair(client)
    browser = Subscriber()
    assert (await subscribe(client, bob, browser.body(push_service.url("/push/bob")))).ok
    me = f"/api/groups/{group_id}/me"
    assert (await (await client.get(me, headers=bob["headers"])).json())["notifications"] == "all"
    for level, pushed in (("mentions", 0), ("none", 0), ("all", 1)):
        answer = await client.patch(me, json={"notifications": level}, headers=bob["headers"])
        assert answer.status == 200 and (await answer.json())["notifications"] == level
        before = len(push_service.at("/push/bob"))
        await say(client, group_id, alice, f"level {level}")
        await drained(client)
        assert len(push_service.at("/push/bob")) - before == pushed, level
    wrong = await client.patch(me, json={"notifications": "some"}, headers=bob["headers"])
    await expect_error(wrong, 422, "invalid_input")
    outsider = await register(client)
    refused = await client.patch(me, json={"notifications": "none"}, headers=outsider["headers"])
    await expect_error(refused, 403, "forbidden")


async def test_join_requests_push_the_leader_and_blocks_silence_pushes(
    client, push_service
) -> None:
    leader, asker = await register(client), await register(client)
    browser = Subscriber()
    assert (await subscribe(client, leader, browser.body(push_service.url("/push/lead")))).ok
    group_id = (await create_group(client, leader, joinPolicy="approval"))["id"]
    assert (await client.post(f"/api/groups/{group_id}/join", headers=asker["headers"])).ok
    (received,) = await push_service.wait_for("/push/lead")
    payload = browser.decrypt(received)
    assert payload["type"] == "join_request" and payload["groupId"] == group_id
    assert asker["user"]["name"] in payload["body"]

    approve = f"/api/groups/{group_id}/requests/{asker['user']['id']}/approve"
    assert (await client.post(approve, headers=leader["headers"])).ok
    block = f"/api/users/{asker['user']['id']}/block"
    assert (await client.post(block, headers=leader["headers"])).status == 201
    await say(client, group_id, asker, "you blocked me")
    await drained(client)
    assert len(push_service.at("/push/lead")) == 1  # a blocked author pushes nobody


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("http://push.example.com/x", "https"),
        ("https://127.0.0.1/x", "public"),
        ("https://10.1.2.3/x", "public"),
        ("https://[::1]/x", "public"),
        ("https://169.254.169.254/latest", "public"),
        ("https://user:pw@push.example.com/x", "user information"),
        ("ftp://push.example.com/x", "https"),
    ],
)
async def test_endpoints_refused_without_the_test_flag(
    make_client: Any, endpoint: str, why: str
) -> None:
    strict = await make_client(push=PushSettings(vapid_private_key=TEST_VAPID_KEY))
    account = await register(strict)
    body = await expect_error(
        await subscribe(strict, account, Subscriber().body(endpoint)), 422, "invalid_input"
    )
    assert why in body["error"]["details"]["endpoint"]


async def test_bad_subscriptions_are_refused(client) -> None:
    account = await register(client)
    good = Subscriber().body("https://8.8.8.8/push")
    cases = [
        good | {"keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}},
        good | {"keys": None},
        good | {"platform": "carrier-pigeon"},
        {"endpoint": "not-hex", "platform": "apns"},
        {"endpoint": "x", "platform": "fcm"},
        good | {"extra": 1},
    ]
    for body in cases:
        await expect_error(await subscribe(client, account, body), 422, "invalid_input")
    delete = await client.delete(
        "/api/push/subscriptions", json={"endpoint": good["endpoint"]}, headers=account["headers"]
    )
    assert delete.status == 204


async def test_an_unsubscribed_browser_gets_nothing(client, push_service) -> None:
    group_id, alice, bob = await pair(client)
    endpoint = push_service.url("/push/bob")
    assert (await subscribe(client, bob, Subscriber().body(endpoint))).ok
    gone = await client.delete(
        "/api/push/subscriptions", json={"endpoint": endpoint}, headers=bob["headers"]
    )
    assert gone.status == 204
    await say(client, group_id, alice, "hello?")
    await drained(client)
    assert push_service.at("/push/bob") == []


def test_push_settings_reject_bad_values() -> None:
    with pytest.raises(ValueError):
        replace(PushSettings(), ttl_seconds=-1)
    with pytest.raises(ValueError):
        PushSettings(vapid_contact="admin@example.com")
