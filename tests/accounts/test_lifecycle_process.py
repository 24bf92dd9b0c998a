"""The account lifecycle end to end: a real server process (SQLite and MariaDB) mailing through
a real SMTP server, driven over HTTP like a client; limits with requests fired at once."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.accounts.conftest import PASSWORD, PUBLIC_URL, Server


async def _verified(server: Server, token: str) -> bool:
    status, me = await server.call("GET", "/api/auth/me", token)
    assert status == 200, me
    return bool(me["user"]["emailVerified"])


async def test_register_mails_a_verification_that_the_link_page_and_the_api_accept(
    server: Server,
) -> None:
    account = await server.register("ada@uni.edu")
    assert account["user"]["emailVerified"] is False and account["refreshToken"]
    code = await server.mail.token_for("ada@uni.edu", "Verify")
    (mail,) = server.mail.matching("ada@uni.edu", "Verify")
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",))
    assert html is not None and f"{PUBLIC_URL}/verify-email?token={code}" in html.get_content()

    status, page = await server.call("GET", "/verify-email?token=not-a-real-token-at-all")
    assert status == 400 and "does not work" in page
    assert not await _verified(server, account["token"])
    status, page = await server.call("GET", f"/verify-email?token={code}")
    assert status == 200 and "Email verified" in page and "ada@uni.edu" in page
    assert await _verified(server, account["token"])
    status, answer = await server.call("POST", "/api/auth/verify-email", json={"token": code})
    assert status == 422 and answer["error"]["code"] == "invalid_input"  # single use

    status, answer = await server.call("POST", "/api/auth/resend-verification", account["token"])
    assert status == 200 and answer["sent"] is False


async def test_resend_verification_allows_three_per_hour_when_fired_at_once(
    server: Server,
) -> None:
    account = await server.register("bo@uni.edu")
    await server.mail.token_for("bo@uni.edu", "Verify")
    calls = [
        server.call("POST", "/api/auth/resend-verification", account["token"]) for _ in range(6)
    ]
    statuses = sorted(status for status, _ in await asyncio.gather(*calls))
    assert statuses == [200, 200, 200, 429, 429, 429]
    await asyncio.sleep(1.0)
    assert len(server.mail.matching("bo@uni.edu", "Verify")) == 1 + 3
    newest = await server.mail.token_for("bo@uni.edu", "Verify")
    status, answer = await server.call("POST", "/api/auth/verify-email", json={"token": newest})
    assert status == 200 and answer["user"]["emailVerified"] is True


async def test_forgot_and_reset_one_token_wins_and_every_earlier_token_dies(
    server: Server,
) -> None:
    account = await server.register("cy@uni.edu")
    for email in ("cy@uni.edu", "nobody@uni.edu", "CY@uni.edu "):
        status, answer = await server.call(
            "POST", "/api/auth/password/forgot", json={"email": email}
        )
        assert status == 202 and answer == {"success": True}
    code = await server.mail.token_for("cy@uni.edu", "Reset")
    await asyncio.sleep(0.5)
    assert server.mail.matching("nobody@uni.edu", "Reset") == []

    resets = [
        server.call(
            "POST", "/api/auth/password/reset", json={"token": code, "password": f"new pass {n}"}
        )
        for n in range(2)
    ]
    results = await asyncio.gather(*resets)
    winners = [answer for status, answer in results if status == 200]
    losers = [answer for status, answer in results if status != 200]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0]["error"]["code"] == "invalid_input"
    fresh = winners[0]

    status, _ = await server.call("GET", "/api/auth/me", account["token"])
    assert status == 401  # issued before the reset
    status, answer = await server.call(
        "POST", "/api/auth/refresh", json={"refreshToken": account["refreshToken"]}
    )
    assert status == 401
    assert await _verified(server, fresh["token"])  # the mailed link proved the address
    login = {"email": "cy@uni.edu", "password": PASSWORD}
    status, _ = await server.call("POST", "/api/auth/login", json=login)
    assert status == 401
    # The winner's password is the one stored.
    new_password = "new pass 0" if results[0][0] == 200 else "new pass 1"
    status, _ = await server.call(
        "POST", "/api/auth/login", json={"email": "cy@uni.edu", "password": new_password}
    )
    assert status == 200


async def test_reset_mails_per_address_are_limited_without_telling(server: Server) -> None:
    await server.register("di@uni.edu")
    calls = [
        server.call("POST", "/api/auth/password/forgot", json={"email": "di@uni.edu"})
        for _ in range(6)
    ]
    assert {status for status, _ in await asyncio.gather(*calls)} == {202}
    await server.mail.token_for("di@uni.edu", "Reset")
    await asyncio.sleep(1.0)
    assert len(server.mail.matching("di@uni.edu", "Reset")) == 3


async def test_change_password_needs_the_current_one_and_limits_guesses(server: Server) -> None:
    account = await server.register("ed@uni.edu")
    token = account["token"]
    wrong = {"currentPassword": "not my password", "newPassword": "whatever it is"}
    guesses = [server.call("POST", "/api/auth/password", token, json=wrong) for _ in range(8)]
    statuses = sorted(status for status, _ in await asyncio.gather(*guesses))
    assert statuses == [401] * 5 + [429] * 3
    status, _ = await server.call("GET", "/api/auth/me", token)
    assert status == 200  # nothing changed
    status, _ = await server.call(
        "POST", "/api/auth/login", json={"email": "ed@uni.edu", "password": PASSWORD}
    )
    assert status == 200


async def test_change_password_revokes_other_tokens(server: Server) -> None:
    account = await server.register("fa@uni.edu")
    right = {"currentPassword": PASSWORD, "newPassword": "a fresh long password"}
    status, answer = await server.call("POST", "/api/auth/password", account["token"], json=right)
    assert status == 200 and answer["token"] and answer["refreshToken"]
    status, _ = await server.call("GET", "/api/auth/me", account["token"])
    assert status == 401
    status, _ = await server.call("GET", "/api/auth/me", answer["token"])
    assert status == 200


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(server: Server) -> None:
    account = await server.register("gu@uni.edu")
    first = account["refreshToken"]
    status, second = await server.call("POST", "/api/auth/refresh", json={"refreshToken": first})
    assert status == 200 and second["refreshToken"] != first
    status, _ = await server.call("GET", "/api/auth/me", second["token"])
    assert status == 200

    status, answer = await server.call("POST", "/api/auth/refresh", json={"refreshToken": first})
    assert status == 401 and answer["error"]["code"] == "token_reused"
    status, answer = await server.call(
        "POST", "/api/auth/refresh", json={"refreshToken": second["refreshToken"]}
    )
    assert status == 401 and answer["error"]["code"] == "unauthorized"
    for token in (account["token"], second["token"]):
        status, _ = await server.call("GET", "/api/auth/me", token)
        assert status == 401  # the family's access tokens went with it

    # Another sign-in of the same user is a family of its own, untouched.
    status, other = await server.call(
        "POST", "/api/auth/login", json={"email": "gu@uni.edu", "password": PASSWORD}
    )
    assert status == 200
    racing = [
        server.call("POST", "/api/auth/refresh", json={"refreshToken": other["refreshToken"]})
        for _ in range(2)
    ]
    results = sorted(await asyncio.gather(*racing), key=lambda result: result[0])
    assert [status for status, _ in results] == [200, 401]
    assert results[1][1]["error"]["code"] == "token_reused"


async def test_logout_revokes_the_family_and_logout_all_every_family(server: Server) -> None:
    account = await server.register("ha@uni.edu")
    login = {"email": "ha@uni.edu", "password": PASSWORD}
    _, phone = await server.call("POST", "/api/auth/login", json=login)
    _, tablet = await server.call("POST", "/api/auth/login", json=login)

    status, _ = await server.call("POST", "/api/auth/logout", phone["token"])
    assert status == 200
    status, _ = await server.call(
        "POST", "/api/auth/refresh", json={"refreshToken": phone["refreshToken"]}
    )
    assert status == 401
    status, renewed = await server.call(
        "POST", "/api/auth/refresh", json={"refreshToken": tablet["refreshToken"]}
    )
    assert status == 200

    status, _ = await server.call("POST", "/api/auth/logout-all", account["token"])
    assert status == 200
    for refresh in (renewed["refreshToken"], account["refreshToken"]):
        status, _ = await server.call("POST", "/api/auth/refresh", json={"refreshToken": refresh})
        assert status == 401


async def _group_with(server: Server, leader: dict[str, Any], member: dict[str, Any]) -> int:
    status, group = await server.call(
        "POST", "/api/groups/create", leader["token"], json={"title": "Calc", "subject": "Math"}
    )
    assert status == 201, group
    group_id = int(group["group"]["id"])
    status, _ = await server.call("POST", f"/api/groups/{group_id}/join", member["token"])
    assert status == 200
    return group_id


async def _send(server: Server, account: dict[str, Any], group_id: int, text: str) -> None:
    status, answer = await server.call(
        "POST", f"/api/chat/{group_id}/send", account["token"], json={"content": text}
    )
    assert status == 201, answer


async def test_export_then_delete_hands_over_anonymises_and_frees_the_email(
    server: Server,
) -> None:
    member = await server.register("ir@uni.edu", "Iris")
    leader = await server.register("jo@uni.edu", "Jo")  # the newest id: SQLite would reuse it
    group_id = await _group_with(server, leader, member)
    await _send(server, leader, group_id, "hello from Jo")
    await _send(server, member, group_id, "hello from Iris")

    async with server.http.get(
        server.url("/api/auth/me/export"), headers={"Authorization": f"Bearer {leader['token']}"}
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        text = await response.text()
        export = (await response.json())["export"]
    assert export["profile"]["email"] == "jo@uni.edu"
    assert [m["content"] for m in export["messages"]] == ["hello from Jo"]
    assert [m["groupId"] for m in export["memberships"]] == [group_id]
    assert "password" not in text.lower() and "tokenHash" not in text

    status, answer = await server.call(
        "DELETE", "/api/auth/me", leader["token"], json={"password": "wrong password"}
    )
    assert status == 401
    status, answer = await server.call(
        "DELETE", "/api/auth/me", leader["token"], json={"password": PASSWORD}
    )
    assert status == 204, answer
    status, _ = await server.call("GET", "/api/auth/me", leader["token"])
    assert status == 401
    status, _ = await server.call(
        "POST", "/api/auth/refresh", json={"refreshToken": leader["refreshToken"]}
    )
    assert status == 401

    status, details = await server.call("GET", f"/api/groups/{group_id}", member["token"])
    assert status == 200 and details["group"]["leaderId"] == member["user"]["id"], details
    status, history = await server.call("GET", f"/api/chat/{group_id}/messages", member["token"])
    by_text = {m["content"]: m for m in history["messages"]}
    assert by_text["hello from Jo"]["userId"] is None
    assert by_text["hello from Jo"]["userName"] == "Deleted user"
    assert by_text["hello from Iris"]["userName"] == "Iris"

    again = await server.register("jo@uni.edu", "Jo again")
    assert again["user"]["id"] > leader["user"]["id"]  # ids are never reused


async def test_delete_with_purge_removes_the_messages(server: Server) -> None:
    leader = await server.register("ka@uni.edu")
    member = await server.register("lu@uni.edu")
    group_id = await _group_with(server, leader, member)
    await _send(server, member, group_id, "to be purged")
    await _send(server, leader, group_id, "stays")
    status, _ = await server.call(
        "DELETE",
        "/api/auth/me",
        member["token"],
        json={"password": PASSWORD, "purgeMessages": True},
    )
    assert status == 204
    _, history = await server.call("GET", f"/api/chat/{group_id}/messages", leader["token"])
    assert [m["content"] for m in history["messages"]] == ["stays"]


BAD_INPUT: list[tuple[str, str, Any, int]] = [
    # (method, path, body, status); token-taking routes get the caller's token
    ("POST", "/api/auth/verify-email", {}, 422),
    ("POST", "/api/auth/verify-email", {"token": "short"}, 422),
    ("POST", "/api/auth/verify-email", {"token": "x" * 40 + "!"}, 422),
    ("POST", "/api/auth/verify-email", {"token": "a" * 43, "extra": 1}, 422),
    ("POST", "/api/auth/verify-email", [1, 2], 400),
    ("POST", "/api/auth/password/forgot", {"email": 5}, 422),
    ("POST", "/api/auth/password/forgot", {}, 422),
    ("POST", "/api/auth/password/reset", {"token": "a" * 43}, 422),
    ("POST", "/api/auth/password/reset", {"token": "a" * 43, "password": "short"}, 422),
    ("POST", "/api/auth/password/reset", {"token": "a" * 43, "password": "long enough x"}, 422),
    ("POST", "/api/auth/password", {"currentPassword": PASSWORD}, 422),
    ("POST", "/api/auth/password", {"currentPassword": PASSWORD, "newPassword": "short"}, 422),
    ("POST", "/api/auth/password", {"currentPassword": "", "newPassword": "long enough"}, 422),
    ("POST", "/api/auth/refresh", {}, 422),
    ("POST", "/api/auth/refresh", {"refreshToken": None}, 422),
    ("POST", "/api/auth/refresh", {"refreshToken": "a" * 43}, 401),
    ("DELETE", "/api/auth/me", {}, 422),
    ("DELETE", "/api/auth/me", {"password": PASSWORD, "purgeMessages": "yes"}, 422),
    ("DELETE", "/api/auth/me", {"password": "wrong one"}, 401),
]


async def test_bad_input_gets_the_error_envelope_and_changes_nothing(server: Server) -> None:
    account = await server.register("mo@uni.edu")
    for method, path, body, expected in BAD_INPUT:
        status, answer = await server.call(method, path, account["token"], json=body)
        assert status == expected, (method, path, body, answer)
        assert answer["success"] is False and answer["error"]["message"], answer
    status, _ = await server.call("POST", "/api/auth/verify-email", data=b"{not json")
    assert status in (400, 415)
    status, me = await server.call("GET", "/api/auth/me", account["token"])
    assert status == 200 and me["user"]["emailVerified"] is False
    status, _ = await server.call(
        "POST", "/api/auth/refresh", json={"refreshToken": account["refreshToken"]}
    )
    assert status == 200  # still the live family
