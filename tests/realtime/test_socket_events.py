"""The /chat namespace with python-socketio's AsyncClient against a real server on a TCP port.

Covers api-realtime.md: connecting (three ways to send the token, refusals), rooms, every
client→server event with its ack and error codes, every server→client chat event, live joins and
leaves, and REST actions emitting the same events. Tests marked one_backend exercise the transport
only and run on SQLite; the rest run on SQLite and MariaDB.
"""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest
import socketio

from app import create_app
from domain.security import TokenIssuer
from realtime.namespace import NAMESPACE
from realtime.publisher import SocketPublisher
from tests.api.test_groups import create_group
from tests.conftest import TEST_SECRET, settings_for
from tests.helpers import register
from tests.realtime.conftest import ChatSocket, base_url
from wiring.keys import GROUPS, SOCKETIO

MESSAGE_KEYS = {
    "id", "groupId", "userId", "userName", "content", "messageType", "imageUrl", "clientId",
    "timestamp", "editedAt", "reactions",
    "replyTo", "mentions",
}
EVENTS = [
    "message:send",
    "message:react",
    "message:edit",
    "message:delete",
    "messages:sync",
    "message:read",
    "typing",
    "presence:list",
]


async def trio(client, sockets, **group_fields):
    """A group led by L with active member M, and an outsider O; each with an open socket.
    Returns gid, (L, M, O) accounts, (L, M, O) sockets."""
    accounts = [await register(client) for _ in range(3)]
    leader, member, _ = accounts
    gid = (await create_group(client, leader, **group_fields))["id"]
    response = await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
    assert response.status == 200, await response.text()
    socks = [await sockets(account["token"]) for account in accounts]
    return gid, accounts, socks


async def rest_send(client, gid, account, content="hello", **extra):
    response = await client.post(
        f"/api/chat/{gid}/send", json={"content": content} | extra, headers=account["headers"]
    )
    assert response.status in (200, 201), await response.text()
    return (await response.json())["message"]


async def history(client, gid, account, query=""):
    response = await client.get(f"/api/chat/{gid}/messages{query}", headers=account["headers"])
    assert response.status == 200, await response.text()
    return (await response.json())["messages"]


# ---- connecting -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["auth", "header", "query"])
async def test_token_in_auth_payload_header_or_query_connects(client, sockets, how) -> None:
    leader, member = await register(client), await register(client)
    gid = (await create_group(client, leader))["id"]
    await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
    sock = await sockets(leader["token"], how=how)
    assert sock.connected
    sent = await rest_send(client, gid, member, "via rest")
    assert (await sock.next("message:new"))["message"] == sent


def _expired(user: dict) -> str:
    return TokenIssuer(TEST_SECRET, -60).issue(user["id"], user["email"])


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    return f"{header}.{payload}.{flipped}{signature[1:]}"


def _other_secret(user: dict) -> str:
    return TokenIssuer("another-secret-" + "y" * 40, 3600).issue(user["id"], user["email"])


def _unsigned(user: dict) -> str:
    now = int(time.time())
    claims = {"sub": str(user["id"]), "iat": now, "exp": now + 3600}
    return jwt.encode(claims, None, algorithm="none")


@pytest.mark.one_backend
@pytest.mark.parametrize(
    "make_token",
    [
        lambda account: None,
        lambda account: "",
        lambda account: "not-a-jwt",
        lambda account: _expired(account["user"]),
        lambda account: _tampered(account["token"]),
        lambda account: _other_secret(account["user"]),
        lambda account: _unsigned(account["user"]),
    ],
    ids=["missing", "empty", "malformed", "expired", "tampered", "other-secret", "alg-none"],
)
@pytest.mark.parametrize("how", ["auth", "header", "query"])
async def test_bad_tokens_are_refused_with_unauthorized(client, make_token, how) -> None:
    account = await register(client)
    sock = ChatSocket()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sock.connect(base_url(client), make_token(account), how=how)
    (refusal,) = sock.refusals
    assert refusal["data"]["code"] == "unauthorized", refusal
    assert refusal["message"] == refusal["data"]["message"] and refusal["message"]
    assert not sock.connected


@pytest.mark.one_backend
async def test_logged_out_everywhere_token_is_refused(client) -> None:
    account = await register(client)
    response = await client.post("/api/auth/logout-all", headers=account["headers"])
    assert response.status == 200, await response.text()
    sock = ChatSocket()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sock.connect(base_url(client), account["token"])
    assert sock.refusals[0]["data"]["code"] == "unauthorized"


async def test_connect_joins_user_room_and_active_groups_only(client, sockets) -> None:
    leader, member, requester = [await register(client) for _ in range(3)]
    open_gid = (await create_group(client, leader))["id"]
    approval_gid = (await create_group(client, leader, joinPolicy="approval"))["id"]
    other_gid = (await create_group(client, requester))["id"]
    await client.post(f"/api/groups/{open_gid}/join", headers=member["headers"])
    await client.post(f"/api/groups/{approval_gid}/join", headers=member["headers"])  # pending
    sock = await sockets(member["token"])
    leader_sock = await sockets(leader["token"])

    await rest_send(client, approval_gid, leader, "pending members do not see this")
    await rest_send(client, other_gid, requester, "strangers do not see this")
    sent = await rest_send(client, open_gid, leader, "active members see this")
    assert (await sock.next("message:new"))["message"]["id"] == sent["id"]
    await sock.quiet("message:new")

    # The leader's user room carries join requests for approval groups.
    await client.post(f"/api/groups/{approval_gid}/join", headers=requester["headers"])
    requested = await leader_sock.next("member:requested")
    assert requested["groupId"] == approval_gid
    assert requested["member"]["userId"] == requester["user"]["id"]
    assert requested["member"]["status"] == "pending"
    await sock.quiet("member:requested")


# ---- message:send ---------------------------------------------------------------------------


async def test_send_acks_the_stored_message_and_broadcasts_to_members_only(client, sockets) -> None:
    gid, (leader, member, _), (ls, ms, outsider_sock) = await trio(client, sockets)
    ack = await ms.ok("message:send", {"groupId": gid, "content": "  hi all  ", "clientId": "c1"})
    message = ack["message"]
    assert set(ack) == {"ok", "message"} and set(message) == MESSAGE_KEYS
    assert message["content"] == "hi all" and message["messageType"] == "text"
    assert message["groupId"] == gid and message["userId"] == member["user"]["id"]
    assert message["userName"] == member["user"]["name"] and message["clientId"] == "c1"
    assert message["timestamp"].endswith("Z") and message["editedAt"] is None
    assert message["reactions"] == [] and message["imageUrl"] is None
    assert isinstance(message["id"], int)
    # Committed before the ack: the history already has it.
    assert [m["id"] for m in await history(client, gid, leader)] == [message["id"]]
    assert (await ls.next("message:new")) == {"message": message}
    assert (await ms.next("message:new")) == {"message": message}
    await outsider_sock.quiet("message:new")


async def test_retried_client_id_returns_the_same_message_and_broadcasts_once(
    client, sockets
) -> None:
    gid, (leader, _, _), (ls, ms, _) = await trio(client, sockets)
    payload = {"groupId": gid, "content": "only once", "clientId": "retry-1"}
    first = (await ms.ok("message:send", payload))["message"]
    again = (await ms.ok("message:send", payload))["message"]
    assert again == first
    assert (await ls.next("message:new"))["message"]["id"] == first["id"]
    await ls.quiet("message:new")
    # The same clientId in another group, or from another user, is a different message.
    other = (await ls.ok("message:send", payload))["message"]
    assert other["id"] != first["id"]
    assert len(await history(client, gid, leader)) == 2


async def test_concurrent_retries_of_one_client_id_all_get_the_stored_message(
    client, sockets
) -> None:
    """Regression: on MariaDB the losing insert's transaction could not see the winner's row
    (its snapshot was older) and the ack was an internal_error."""
    gid, (leader, member, _), (ls, _, _) = await trio(client, sockets)
    tabs = [await sockets(member["token"]) for _ in range(4)]
    for attempt in range(3):
        payload = {"groupId": gid, "content": "at once", "clientId": f"burst-{attempt}"}
        acks = await asyncio.gather(*(tab.call("message:send", payload) for tab in tabs))
        assert all(ack["ok"] for ack in acks), acks
        assert len({ack["message"]["id"] for ack in acks}) == 1, acks
        await ls.next("message:new")
    await ls.quiet("message:new")
    assert len(await history(client, gid, leader)) == 3


@pytest.mark.one_backend
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"content": "x" * 4001}, "content"),
        ({"content": "x" * 20001}, "content"),
        ({"content": ""}, "content"),
        ({"content": " \n\t "}, "content"),
        ({"content": 5}, "content"),
        ({"content": None}, "content"),
        ({"content": "hi", "groupId": "1"}, "groupId"),
        ({"content": "hi", "groupId": True}, "groupId"),
        ({"content": "hi", "groupId": 0}, "groupId"),
        ({"content": "hi", "messageType": "file"}, "messageType"),
        ({"content": "hi", "messageType": 1}, "messageType"),
        ({"content": "", "messageType": "image"}, "imageUrl"),
        ({"content": "", "messageType": "image", "imageUrl": "javascript:alert(1)"}, "imageUrl"),
        ({"content": "", "messageType": "image", "imageUrl": "ftp://x.org/a.png"}, "imageUrl"),
        ({"content": "", "messageType": "image", "imageUrl": 7}, "imageUrl"),
        ({"content": "hi", "clientId": "x" * 65}, "clientId"),
        ({"content": "hi", "clientId": ""}, "clientId"),
        ({"content": "hi", "clientId": 12}, "clientId"),
        ({"content": "hi", "text": "extra"}, "text"),
    ],
)
async def test_bad_sends_are_invalid_input_and_store_nothing(
    client, sockets, payload, field
) -> None:
    gid, (leader, _, _), (ls, _, _) = await trio(client, sockets)
    error = await ls.error("message:send", {"groupId": gid} | payload, "invalid_input")
    assert any(field in key for key in error["details"]), error
    assert await history(client, gid, leader) == []
    await ls.quiet("message:new", 0.2)
    assert (await ls.ok("message:send", {"groupId": gid, "content": "still here"}))["message"]


async def test_image_message_needs_only_an_http_url(client, sockets) -> None:
    gid, _, (ls, ms, _) = await trio(client, sockets)
    url = "https://cdn.example.edu/board.png"
    ack = await ms.ok("message:send", {"groupId": gid, "messageType": "image", "imageUrl": url})
    assert ack["message"]["messageType"] == "image" and ack["message"]["imageUrl"] == url
    assert ack["message"]["content"] == ""
    assert (await ls.next("message:new"))["message"] == ack["message"]


async def test_announcements_are_for_the_leader_only(client, sockets) -> None:
    gid, (leader, _, _), (ls, ms, _) = await trio(client, sockets)
    payload = {"groupId": gid, "content": "Exam moved", "messageType": "announcement"}
    await ms.error("message:send", payload, "forbidden")
    assert await history(client, gid, leader) == []
    ack = await ls.ok("message:send", payload)
    assert ack["message"]["messageType"] == "announcement"
    assert (await ms.next("message:new"))["message"]["id"] == ack["message"]["id"]


async def test_non_members_are_forbidden_on_every_event(client, sockets) -> None:
    gid, (leader, _, _), (ls, _, os_) = await trio(client, sockets)
    sent = await ls.ok("message:send", {"groupId": gid, "content": "members only"})
    mid = sent["message"]["id"]
    calls = [
        ("message:send", {"groupId": gid, "content": "let me in"}),
        ("message:react", {"messageId": mid, "emoji": "👍"}),
        ("message:edit", {"messageId": mid, "content": "changed"}),
        ("message:delete", {"messageId": mid}),
        ("messages:sync", {"groupId": gid}),
        ("message:read", {"groupId": gid, "messageId": mid}),
        ("typing", {"groupId": gid, "isTyping": True}),
        ("presence:list", {"groupId": gid}),
    ]
    for event, payload in calls:
        await os_.error(event, payload, "forbidden")
    await ls.quiet("typing", 0.1)
    (stored,) = await history(client, gid, leader)
    assert stored["content"] == "members only" and stored["reactions"] == []
    # A group that does not exist is not_found.
    await os_.error("message:send", {"groupId": 987654, "content": "x"}, "not_found")
    await os_.error("messages:sync", {"groupId": 987654}, "not_found")
    await os_.error("message:react", {"messageId": 987654, "emoji": "👍"}, "not_found")


# ---- reactions ------------------------------------------------------------------------------


async def test_react_toggles_groups_counts_and_broadcasts(client, sockets) -> None:
    gid, (leader, member, _), (ls, ms, os_) = await trio(client, sockets)
    sent = await ls.ok("message:send", {"groupId": gid, "content": "react to me"})
    mid = sent["message"]["id"]
    lid, uid = leader["user"]["id"], member["user"]["id"]

    ack = await ms.ok("message:react", {"messageId": mid, "emoji": "👍"})
    assert ack == {
        "ok": True,
        "messageId": mid,
        "reactions": [{"emoji": "👍", "count": 1, "userIds": [uid]}],
    }
    event = await ls.next("message:reaction")
    assert event == {"groupId": gid, "messageId": mid, "reactions": ack["reactions"]}

    await ls.ok("message:react", {"messageId": mid, "emoji": "🎉"})
    ack = await ls.ok("message:react", {"messageId": mid, "emoji": "👍"})
    assert ack["reactions"] == [
        {"emoji": "👍", "count": 2, "userIds": [uid, lid]},
        {"emoji": "🎉", "count": 1, "userIds": [lid]},
    ]
    ack = await ms.ok("message:react", {"messageId": mid, "emoji": "👍"})  # toggles off
    # Ordered by the first reaction still standing: the leader's 🎉 came before their 👍.
    assert ack["reactions"] == [
        {"emoji": "🎉", "count": 1, "userIds": [lid]},
        {"emoji": "👍", "count": 1, "userIds": [lid]},
    ]
    for _ in range(4):
        last = await ms.next("message:reaction")
    assert last["reactions"] == ack["reactions"]
    await os_.quiet("message:reaction")
    (stored,) = await history(client, gid, member)
    assert stored["reactions"] == ack["reactions"]


async def test_composed_emoji_are_one_reaction(client, sockets) -> None:
    gid, _, (ls, _, _) = await trio(client, sockets)
    mid = (await ls.ok("message:send", {"groupId": gid, "content": "x"}))["message"]["id"]
    for emoji in ["👩‍💻", "🇫🇷", "👍🏽", "❤️"]:
        ack = await ls.ok("message:react", {"messageId": mid, "emoji": emoji})
        assert ack["reactions"][-1]["emoji"] == emoji


@pytest.mark.one_backend
@pytest.mark.parametrize(
    "emoji", ["", "a", "ab", "👍👍", ":)", "😀" * 5, "x" * 17, 5, None, ["👍"], "👍 "]
)
async def test_bad_emoji_is_invalid_input(client, sockets, emoji) -> None:
    gid, (leader, _, _), (ls, _, _) = await trio(client, sockets)
    mid = (await ls.ok("message:send", {"groupId": gid, "content": "x"}))["message"]["id"]
    error = await ls.error("message:react", {"messageId": mid, "emoji": emoji}, "invalid_input")
    assert "emoji" in error["details"]
    assert (await history(client, gid, leader))[0]["reactions"] == []
    await ls.quiet("message:reaction", 0.2)


# ---- edit and delete ------------------------------------------------------------------------


async def test_edit_own_messages_only_and_broadcast(client, sockets) -> None:
    gid, (leader, _, _), (ls, ms, _) = await trio(client, sockets)
    mine = (await ms.ok("message:send", {"groupId": gid, "content": "typo"}))["message"]
    ack = await ms.ok("message:edit", {"messageId": mine["id"], "content": " fixed "})
    edited = ack["message"]
    assert edited["content"] == "fixed" and edited["editedAt"].endswith("Z")
    assert edited["id"] == mine["id"] and edited["timestamp"] == mine["timestamp"]
    assert (await ls.next("message:updated")) == {"message": edited}
    await ls.error("message:edit", {"messageId": mine["id"], "content": "leader"}, "forbidden")
    await ms.error("message:edit", {"messageId": mine["id"], "content": "  "}, "invalid_input")
    await ms.error(
        "message:edit", {"messageId": mine["id"], "content": "x" * 4001}, "invalid_input"
    )
    await ms.error("message:edit", {"messageId": 987654, "content": "x"}, "not_found")
    (stored,) = await history(client, gid, leader)
    assert stored["content"] == "fixed"


async def test_delete_own_or_as_leader_and_broadcast(client, sockets) -> None:
    gid, (leader, _, _), (ls, ms, os_) = await trio(client, sockets)
    first = (await ms.ok("message:send", {"groupId": gid, "content": "one"}))["message"]["id"]
    second = (await ms.ok("message:send", {"groupId": gid, "content": "two"}))["message"]["id"]
    by_leader = (await ls.ok("message:send", {"groupId": gid, "content": "three"}))["message"]
    await ms.error("message:delete", {"messageId": by_leader["id"]}, "forbidden")
    assert await ms.ok("message:delete", {"messageId": first}) == {"ok": True, "messageId": first}
    assert await ls.next("message:deleted") == {"groupId": gid, "messageId": first}
    await ls.ok("message:delete", {"messageId": second})  # the leader moderates
    assert await ms.next("message:deleted") == {"groupId": gid, "messageId": first}
    assert await ms.next("message:deleted") == {"groupId": gid, "messageId": second}
    await os_.quiet("message:deleted")
    await ms.error("message:delete", {"messageId": first}, "not_found")
    assert [m["id"] for m in await history(client, gid, leader)] == [by_leader["id"]]


# ---- catch-up -------------------------------------------------------------------------------


async def test_sync_after_a_cursor_returns_exactly_the_missed_messages(client, sockets) -> None:
    gid, (leader, member, _), (ls, ms, _) = await trio(client, sockets)
    seen = [
        (await ms.ok("message:send", {"groupId": gid, "content": f"a{i}"}))["message"]
        for i in range(3)
    ]
    await ls.close()
    missed = [await rest_send(client, gid, member, f"b{i}") for i in range(5)]
    ls = await sockets(leader["token"])
    ack = await ls.ok("messages:sync", {"groupId": gid, "after": seen[-1]["id"]})
    assert ack["messages"] == missed and ack["hasMore"] is False
    page = await ls.ok("messages:sync", {"groupId": gid, "after": seen[-1]["id"], "limit": 2})
    assert page["messages"] == missed[:2] and page["hasMore"] is True
    rest = await ls.ok("messages:sync", {"groupId": gid, "after": missed[1]["id"], "limit": 200})
    assert rest["messages"] == missed[2:] and rest["hasMore"] is False
    everything = await ls.ok("messages:sync", {"groupId": gid, "after": 0})
    assert everything["messages"] == seen + missed
    newest = await ls.ok("messages:sync", {"groupId": gid, "limit": 3})
    assert newest["messages"] == missed[-3:] and newest["hasMore"] is True
    nothing = await ls.ok("messages:sync", {"groupId": gid, "after": missed[-1]["id"]})
    assert nothing == {"ok": True, "messages": [], "hasMore": False}


@pytest.mark.one_backend
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "5"}, "after"),
        ({"groupId": None}, "groupId"),
        ({"before": 3}, "before"),
    ],
)
async def test_sync_out_of_range_is_invalid_input_not_clamped(
    client, sockets, extra, field
) -> None:
    gid, _, (ls, _, _) = await trio(client, sockets)
    error = await ls.error("messages:sync", {"groupId": gid} | extra, "invalid_input")
    assert field in error["details"], error


# ---- read markers ---------------------------------------------------------------------------


async def test_read_marker_moves_forward_and_returns_unread(client, sockets) -> None:
    gid, (leader, member, _), (ls, ms, _) = await trio(client, sockets)
    ids = [
        (await ls.ok("message:send", {"groupId": gid, "content": f"m{i}"}))["message"]["id"]
        for i in range(3)
    ]
    other_gid = (await create_group(client, member, title="Other"))["id"]
    foreign = (await ms.ok("message:send", {"groupId": other_gid, "content": "x"}))["message"]

    assert await ms.ok("message:read", {"groupId": gid, "messageId": ids[0]}) == {
        "ok": True,
        "groupId": gid,
        "unread": 2,
    }
    assert (await ms.ok("message:read", {"groupId": gid, "messageId": ids[2]}))["unread"] == 0
    assert (await ms.ok("message:read", {"groupId": gid, "messageId": ids[0]}))["unread"] == 0
    mine = await (await client.get("/api/groups/mine", headers=member["headers"])).json()
    assert {g["id"]: g["unreadCount"] for g in mine["groups"]}[gid] == 0
    await ms.error("message:read", {"groupId": gid, "messageId": foreign["id"]}, "not_found")
    await ms.error("message:read", {"groupId": gid, "messageId": 987654}, "not_found")
    await ms.error("message:read", {"groupId": gid, "messageId": "1"}, "invalid_input")
    await ms.error("message:read", {"groupId": gid}, "invalid_input")


# ---- typing and presence --------------------------------------------------------------------


@pytest.mark.one_backend
async def test_typing_reaches_the_others_but_not_the_typist(client, sockets) -> None:
    gid, (_, member, _), (ls, ms, os_) = await trio(client, sockets)
    member_second_tab = await sockets(member["token"])
    assert await ms.call("typing", {"groupId": gid, "isTyping": True}) == {"ok": True}
    assert await ls.next("typing") == {
        "groupId": gid,
        "userId": member["user"]["id"],
        "userName": member["user"]["name"],
        "isTyping": True,
    }
    await ms.ok("typing", {"groupId": gid, "isTyping": False})
    assert (await ls.next("typing"))["isTyping"] is False
    await ms.quiet("typing")
    await member_second_tab.quiet("typing", 0)
    await os_.quiet("typing", 0)
    for bad in [
        {"groupId": gid, "isTyping": "yes"},
        {"groupId": gid},
        {"isTyping": True},
        {"groupId": gid, "isTyping": 1},
    ]:
        await ms.error("typing", bad, "invalid_input")


@pytest.mark.one_backend
async def test_presence_first_socket_in_last_socket_out(client, sockets) -> None:
    gid, (leader, member, _), (ls, ms, _) = await trio(client, sockets)
    lid, uid = leader["user"]["id"], member["user"]["id"]
    # Sockets were opened leader first: the leader sees itself, then the member, come online.
    assert await ls.next("presence") == {"groupId": gid, "userId": lid, "online": True}
    assert await ls.next("presence") == {"groupId": gid, "userId": uid, "online": True}
    await ms.close()
    assert await ls.next("presence") == {"groupId": gid, "userId": uid, "online": False}
    assert sorted((await ls.ok("presence:list", {"groupId": gid}))["online"]) == [lid]

    first = await sockets(member["token"])
    assert await ls.next("presence") == {"groupId": gid, "userId": uid, "online": True}
    second = await sockets(member["token"], how="header")
    await ls.quiet("presence")
    assert sorted((await first.ok("presence:list", {"groupId": gid}))["online"]) == sorted(
        [lid, uid]
    )
    await second.close()
    await ls.quiet("presence")
    await first.close()
    assert await ls.next("presence") == {"groupId": gid, "userId": uid, "online": False}
    assert (await ls.ok("presence:list", {"groupId": gid}))["online"] == [lid]


# ---- protocol robustness --------------------------------------------------------------------


@pytest.mark.one_backend
async def test_unknown_events_get_an_error_ack_and_the_socket_survives(client, sockets) -> None:
    gid, _, (ls, _, _) = await trio(client, sockets)
    for event in ["nope", "message:explode", "connect_error"]:
        ack = await ls.call(event, {"groupId": gid})
        assert ack["ok"] is False and ack["error"]["code"] == "not_found", ack
    assert ls.connected
    await ls.ok("message:send", {"groupId": gid, "content": "alive"})


@pytest.mark.one_backend
async def test_non_object_payloads_are_invalid_input_and_the_socket_survives(
    client, sockets
) -> None:
    gid, _, (ls, _, _) = await trio(client, sockets)
    for event in EVENTS:
        for payload in ["text", 5, 1.5, True, [gid], None, {}]:
            await ls.error(event, payload, "invalid_input")
        ack = await ls.call(event)  # no payload at all
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", (event, ack)
    assert ls.connected
    await ls.ok("message:send", {"groupId": gid, "content": "alive"})


# ---- live membership ------------------------------------------------------------------------


async def test_rest_join_leave_and_removal_move_open_sockets(client, sockets) -> None:
    gid, (leader, _, newcomer), (ls, _, ns) = await trio(client, sockets)
    response = await client.post(f"/api/groups/{gid}/join", headers=newcomer["headers"])
    assert (await response.json())["status"] == "active"
    joined = await ls.next("member:joined")
    assert joined["groupId"] == gid and joined["member"]["userId"] == newcomer["user"]["id"]
    assert (await ns.next("member:joined"))["member"]["userId"] == newcomer["user"]["id"]
    sent = await rest_send(client, gid, leader, "welcome")
    assert (await ns.next("message:new"))["message"]["id"] == sent["id"]
    await ns.ok("typing", {"groupId": gid, "isTyping": True})  # the socket is in the room now
    assert (await ls.next("typing"))["userId"] == newcomer["user"]["id"]

    response = await client.post(f"/api/groups/{gid}/leave", headers=newcomer["headers"])
    assert response.status == 200
    assert await ls.next("member:left") == {"groupId": gid, "userId": newcomer["user"]["id"]}
    await rest_send(client, gid, leader, "after leaving")
    await ns.quiet("message:new")
    await ns.error("typing", {"groupId": gid, "isTyping": True}, "forbidden")

    await client.post(f"/api/groups/{gid}/join", headers=newcomer["headers"])
    await rest_send(client, gid, leader, "back again")
    assert (await ns.next("message:new"))["message"]["content"] == "back again"
    response = await client.delete(
        f"/api/groups/{gid}/members/{newcomer['user']['id']}", headers=leader["headers"]
    )
    assert response.status == 200
    await rest_send(client, gid, leader, "after removal")
    await ns.quiet("message:new")


async def test_approval_moves_the_requesters_socket_in(client, sockets) -> None:
    gid, (leader, _, requester), (ls, _, rs) = await trio(client, sockets, joinPolicy="approval")
    response = await client.post(f"/api/groups/{gid}/join", headers=requester["headers"])
    assert (await response.json())["status"] == "pending"
    assert (await ls.next("member:requested"))["member"]["userId"] == requester["user"]["id"]
    await rest_send(client, gid, leader, "not yet")
    await rs.quiet("message:new")
    uid = requester["user"]["id"]
    response = await client.post(
        f"/api/groups/{gid}/requests/{uid}/approve", headers=leader["headers"]
    )
    assert response.status == 200, await response.text()
    assert (await rs.next("member:joined"))["member"]["userId"] == uid
    sent = await rest_send(client, gid, leader, "now you see it")
    assert (await rs.next("message:new"))["message"]["id"] == sent["id"]


async def test_feed_resync_repairs_rooms_after_missed_membership_notices(
    client, sockets, aiohttp_client, database_url
) -> None:
    """Regression: after the change feed reconnected ("resync"), membership notices published
    while it was down stayed lost and sockets kept wrong rooms until they reconnected."""
    # A second worker on the same database with no Redis between them: this one hears nothing.
    other = await aiohttp_client(create_app(settings_for(database_url)))
    gid, (leader, member, newcomer), (ls, ms, ns) = await trio(client, sockets)
    await other.post(f"/api/groups/{gid}/join", headers=newcomer["headers"])
    await other.post(f"/api/groups/{gid}/leave", headers=member["headers"])
    stale = await rest_send(client, gid, leader, "before the resync")
    assert (await ms.next("message:new"))["message"]["id"] == stale["id"]  # stale rooms
    await ns.quiet("message:new", 0)

    server = client.app[SOCKETIO]
    namespace = server.namespace_handlers[NAMESPACE]
    active_groups = client.app[GROUPS].active_group_ids
    await SocketPublisher(server, namespace, None, active_groups).on_feed("resync", {})
    sent = await rest_send(client, gid, leader, "after the resync")
    assert (await ns.next("message:new"))["message"]["id"] == sent["id"]
    await ms.quiet("message:new")
    assert (await ls.next("message:new"))["message"]["id"] == stale["id"]


async def test_creating_a_group_puts_the_leaders_open_socket_in_it(client, sockets) -> None:
    leader = await register(client)
    sock = await sockets(leader["token"])
    gid = (await create_group(client, leader))["id"]
    ack = await sock.ok("message:send", {"groupId": gid, "content": "first"})
    assert (await sock.next("message:new"))["message"] == ack["message"]


# ---- REST actions emit the same events ------------------------------------------------------


async def test_rest_actions_emit_the_socket_events(client, sockets) -> None:
    gid, (_, member, _), (ls, _, os_) = await trio(client, sockets)
    headers = member["headers"]
    sent = await rest_send(client, gid, member, "from rest", clientId="r1")
    assert await ls.next("message:new") == {"message": sent}
    await rest_send(client, gid, member, "from rest", clientId="r1")  # a retry: no new event
    await ls.quiet("message:new")

    response = await client.post(
        f"/api/chat/message/{sent['id']}/react", json={"emoji": "🔥"}, headers=headers
    )
    reactions = (await response.json())["reactions"]
    assert await ls.next("message:reaction") == {
        "groupId": gid,
        "messageId": sent["id"],
        "reactions": reactions,
    }

    response = await client.patch(
        f"/api/chat/message/{sent['id']}", json={"content": "edited"}, headers=headers
    )
    assert await ls.next("message:updated") == {"message": (await response.json())["message"]}

    response = await client.delete(f"/api/chat/message/{sent['id']}", headers=headers)
    assert response.status == 200
    assert await ls.next("message:deleted") == {"groupId": gid, "messageId": sent["id"]}
    for event in ["message:new", "message:reaction", "message:updated", "message:deleted"]:
        await os_.quiet(event, 0)
