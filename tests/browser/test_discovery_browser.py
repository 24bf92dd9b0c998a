"""In Chromium: a leader copies an invite link, a friend opens it on a phone and joins an
approval group through it, then searches the history and jumps to an old message."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.browser.test_chat_browser import DESKTOP, Tab, message

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 800}


def post(base: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_invite_landing_then_search_and_jump(browser: Any, live_server: str) -> None:
    from playwright.sync_api import expect

    ada = Tab(browser, live_server, DESKTOP)
    ben = Tab(browser, live_server, PHONE)
    try:
        ada.register("Ada Lovelace", "ada@uni.edu")
        ada.page.click("#create-box summary")
        ada.page.fill("#create-title", "Analysis Circle")
        ada.page.fill("#create-subject", "Mathematics")
        ada.page.select_option("#create-policy", "approval")
        ada.page.click("#create-form button[type=submit]")
        expect(ada.page.locator("#room-title")).to_have_text("Analysis Circle")
        token = ada.page.evaluate("localStorage.getItem('studysync.token')")
        mine = urllib.request.Request(
            live_server + "/api/groups/mine", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(mine, timeout=30) as response:
            group_id = json.loads(response.read())["groups"][0]["id"]
        # The message to find is older than the first page the room loads (30).
        post(live_server, token, f"/api/chat/{group_id}/send", {"content": "The integral of x²"})
        for i in range(40):
            post(live_server, token, f"/api/chat/{group_id}/send", {"content": f"filler {i}"})

        copied: list[str] = []
        ada.page.on("dialog", lambda dialog: (copied.append(dialog.default_value), dialog.accept()))
        ada.context.grant_permissions(["clipboard-read", "clipboard-write"])
        ada.page.reload()
        expect(ada.page.locator("#conn")).to_have_text("live")
        ada.page.click("#group-list li")
        ada.page.click(".invite-link")
        copied_toast = ada.page.locator(".toast", has_text="Invite link copied")
        for _ in range(150):  # the link goes to the clipboard, or to a prompt without one
            if copied or copied_toast.count():
                break
            ada.page.wait_for_timeout(100)
        if not copied:
            copied.append(ada.page.evaluate("navigator.clipboard.readText()"))
        url = copied[0]
        assert "/#invite=" in url, url

        ben.register("Ben Okafor", "ben@uni.edu")
        ben.page.goto(url)
        card = ben.page.locator("#invite-card")
        expect(card).to_contain_text("Analysis Circle")
        ben.page.click("#invite-card button")
        expect(ben.page.locator("#room-title")).to_have_text("Analysis Circle")

        ben.page.click("#room .back")  # on a phone the room covers the sidebar
        ben.page.fill("#search-input", "integr")
        ben.page.press("#search-input", "Enter")
        hit = ben.page.locator("#search-results li.search-hit")
        expect(hit).to_have_count(1)
        expect(hit.locator("mark")).to_have_text("integral")
        hit.click()
        target = message(ben.page, "The integral of x²")
        expect(target).to_be_in_viewport()
        assert not ada.problems and not ben.problems, (ada.problems, ben.problems)
    finally:
        ada.close()
        ben.close()
