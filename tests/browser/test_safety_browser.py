"""In Chromium: the message menu blocks and reports, a blocked user's messages collapse, the
service worker registers from /sw.js and the "Enable notifications" control is shown."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_chat_browser import DESKTOP, Tab, message

pytestmark = pytest.mark.browser


def test_block_and_report_from_the_message_menu(browser: Any, live_server: str) -> None:
    from playwright.sync_api import expect

    ada = Tab(browser, live_server, DESKTOP)
    ben = Tab(browser, live_server, DESKTOP)
    try:
        ada.register("Ada Lovelace", "ada@uni.edu")
        ben.register("Ben Okafor", "ben@uni.edu")
        expect(ben.page.locator("#push-toggle")).to_have_text("Enable notifications")
        registered = ben.page.evaluate(
            "navigator.serviceWorker.register('/sw.js').then((r) => r.scope)"
        )
        assert registered == f"{live_server}/"

        ada.page.click("#create-box summary")
        ada.page.fill("#create-title", "Safety Crew")
        ada.page.fill("#create-subject", "Physics")
        ada.page.click("#create-form button[type=submit]")
        expect(ada.page.locator("#room-title")).to_have_text("Safety Crew")
        group_id = ada.page.locator("#group-list .group-row.current").get_attribute(
            "data-group-id"
        )
        ben.page.fill("#join-id", str(group_id))
        ben.page.click("#join-form button[type=submit]")
        ben.page.locator(f'#group-list .group-row[data-group-id="{group_id}"]').click()
        expect(ben.page.locator("#room-title")).to_have_text("Safety Crew")

        ada.page.fill("#composer-input", "buy my essays")
        ada.page.press("#composer-input", "Enter")
        expect(message(ben.page, "buy my essays")).to_have_count(1)
        message_id = message(ben.page, "buy my essays").get_attribute("data-id")
        bubble = ben.page.locator(f'#message-list li.msg[data-id="{message_id}"]')

        ben.page.once("dialog", lambda dialog: dialog.accept("spam"))
        bubble.locator(".safety-toggle").click()
        bubble.get_by_role("button", name="Report").click()
        expect(ben.page.locator("#toasts")).to_contain_text("Reported")

        ben.page.once("dialog", lambda dialog: dialog.accept())
        bubble.locator(".safety-toggle").click()
        bubble.get_by_role("button", name="Block Ada Lovelace").click()
        expect(ben.page.locator("#toasts")).to_contain_text("is blocked")
        expect(bubble.locator(".msg-body")).to_contain_text("a user you blocked")
        ben.page.reload()  # from the server's history too (hiddenByBlock)
        ben.page.locator(f'#group-list .group-row[data-group-id="{group_id}"]').click()
        expect(ben.page.locator("#message-list .msg-body").first).to_contain_text(
            "a user you blocked"
        )
        assert ada.problems == [] and ben.problems == []
    finally:
        ada.close()
        ben.close()
