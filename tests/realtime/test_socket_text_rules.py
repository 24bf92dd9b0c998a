"""The text rule, imageUrl and emoji checks on the socket transport (issue 13, findings 6, 14
and 17): the same refusals as REST, nothing stored, nothing broadcast."""

from __future__ import annotations

import pytest

from tests.realtime.test_socket_events import history, trio


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"content": "hi", "imageUrl": "javascript:alert(1)"}, "imageUrl"),
        ({"content": "hi", "imageUrl": "https://cdn.example.edu/a.png"}, "imageUrl"),
        ({"content": "", "messageType": "image", "imageUrl": "https:///a.png"}, "imageUrl"),
        ({"content": "", "messageType": "image", "imageUrl": "https://x.edu/a\rb"}, "imageUrl"),
        ({"content": "\u200b"}, "content"),
        ({"content": "\u200b\u2060\ufeff"}, "content"),
        ({"content": "a\rb"}, "content"),
        ({"content": "a\x00b"}, "content"),
        ({"content": "hi", "clientId": "c\n1"}, "clientId"),
    ],
)
async def test_bad_text_and_image_urls_are_refused(client, sockets, payload, field) -> None:
    gid, (leader, _, _), (ls, ms, _) = await trio(client, sockets)
    error = await ls.error("message:send", {"groupId": gid} | payload, "invalid_input")
    assert any(field in key for key in error["details"]), error
    assert await history(client, gid, leader) == []
    await ms.quiet("message:new", 0.2)


async def test_edit_follows_the_same_rule(client, sockets) -> None:
    gid, _, (ls, _, _) = await trio(client, sockets)
    mid = (await ls.ok("message:send", {"groupId": gid, "content": "x"}))["message"]["id"]
    for bad in ("\u200b", "a\rb", "a\u2028b"):
        await ls.error("message:edit", {"messageId": mid, "content": bad}, "invalid_input")
    ack = await ls.ok("message:edit", {"messageId": mid, "content": "two\nlines"})
    assert ack["message"]["content"] == "two\nlines"


@pytest.mark.parametrize(
    ("emoji", "accepted"),
    [
        ("1️⃣", True),
        ("👨‍👩‍👧‍👦", True),
        ("🏴󠁧󠁢󠁥󠁮󠁧󠁿", True),
        ("😀\u200b", False),
        ("😀\u2060", False),
    ],
)
async def test_emoji_on_the_socket(client, sockets, emoji, accepted) -> None:
    gid, _, (ls, _, _) = await trio(client, sockets)
    mid = (await ls.ok("message:send", {"groupId": gid, "content": "x"}))["message"]["id"]
    if accepted:
        ack = await ls.ok("message:react", {"messageId": mid, "emoji": emoji})
        assert [r["emoji"] for r in ack["reactions"]] == [emoji]
    else:
        error = await ls.error("message:react", {"messageId": mid, "emoji": emoji}, "invalid_input")
        assert "emoji" in error["details"]
