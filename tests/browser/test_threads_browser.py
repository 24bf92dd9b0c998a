"""End to end in Chromium: reply with a quote, @mention from the member list, the mentioned
member's notifications panel, pins, day separators, dark mode; at 1280 px and 390 px."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_chat_browser import DESKTOP, Tab, message

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 780}


def test_reply_mention_notifications_and_pins(browser: Any, live_server: str) -> None:
    from playwright.sync_api import expect

    ada = Tab(browser, live_server, DESKTOP)
    ben = Tab(browser, live_server, PHONE)
    try:
        ada.register("Ada Lovelace", "ada@uni.edu")
        ben.register("Ben Okafor", "ben@uni.edu")
        ada.page.click("#create-box summary")
        ada.page.fill("#create-title", "Thread Crew")
        ada.page.fill("#create-subject", "Physics")
        ada.page.click("#create-form button[type=submit]")
        expect(ada.page.locator("#room-title")).to_have_text("Thread Crew")
        group_id = ada.page.locator("#group-list .group-row.current").get_attribute("data-group-id")
        ben.page.fill("#join-id", str(group_id))
        ben.page.click("#join-form button[type=submit]")
        expect(ben.page.locator("#room-title")).to_have_text("Thread Crew")
        expect(ada.page.locator("#members .member", has_text="Ben Okafor")).to_be_visible()

        question = "Who has the notes for chapter 3?"
        ben.page.fill("#composer-input", question)
        ben.page.keyboard.press("Enter")
        expect(message(ada.page, question)).to_have_count(1)
        expect(ada.page.locator("#message-list li.day-sep")).to_have_text(["Today"])

        # Reply: the quote shows above the composer until the send.
        message(ada.page, question).locator(".reply-button").click()
        quote = ada.page.locator("#reply-quote")
        expect(quote).to_be_visible()
        expect(quote).to_contain_text("Replying to Ben Okafor")
        expect(quote).to_contain_text(question)

        # Mention: "@Be" offers Ben from the member list; Enter picks him (and does not send).
        composer = ada.page.locator("#composer-input")
        composer.press_sequentially("@Be", delay=20)
        suggestion = ada.page.locator("#mention-list li", has_text="Ben Okafor")
        expect(suggestion).to_be_visible()
        ada.page.keyboard.press("Enter")
        expect(composer).to_have_value("@Ben Okafor ")
        composer.press_sequentially("here they are", delay=5)
        ada.page.keyboard.press("Enter")
        answer = "@Ben Okafor here they are"
        expect(message(ada.page, answer)).to_have_count(1)
        expect(quote).to_be_hidden()

        bens_copy = message(ben.page, answer)
        expect(bens_copy.locator(".reply-ref")).to_contain_text(question)
        expect(bens_copy).to_have_class(re.compile("mentions-me"))
        expect(ben.page.locator("#notif-count")).to_have_text("1")
        expect(ben.page.locator("#toasts")).to_contain_text("Ada Lovelace mentioned you")

        # Jump to the parent from the quote.
        bens_copy.locator(".reply-ref").click()
        expect(message(ben.page, question).first).to_have_class(re.compile("flash"))

        # The notifications panel: the mention, opened and marked read.
        ben.page.click("#notif-toggle")
        item = ben.page.locator("#notif-panel .notif.unread", has_text="mentioned you")
        expect(item).to_contain_text("here they are")
        item.locator(".notif-open").click()
        expect(ben.page.locator("#notif-count")).to_have_count(0)
        ben.page.click("#notif-toggle")
        expect(ben.page.locator("#notif-panel .notif.read")).to_have_count(1)
        ben.page.click("#notif-toggle")

        # Pins: the leader pins Ben's question; Ben's pins panel lists it live.
        expect(ben.page.locator(".pin-button")).to_have_count(0)  # Ben does not lead the group
        message(ada.page, question).first.locator(".pin-button").click()
        expect(ben.page.locator("#pins-toggle")).to_have_text("📌 1")
        ben.page.click("#pins-toggle")
        expect(ben.page.locator("#pins-panel .pin-item")).to_contain_text(question)
        expect(ben.page.locator("#pins-panel")).not_to_contain_text("null")
        expect(ben.page.locator("#notif-toggle")).to_have_text("🔔")  # no count, no "null"
        expect(message(ben.page, question).first).to_have_class(re.compile("pinned"))

        ARTIFACTS.mkdir(exist_ok=True)
        ada.page.screenshot(path=str(ARTIFACTS / "threads-desktop.png"))
        ben.page.screenshot(path=str(ARTIFACTS / "threads-phone.png"))
        assert ada.problems == [] and ben.problems == [], ada.problems + ben.problems
    finally:
        ada.close()
        ben.close()


def test_dark_mode_follows_the_system(browser: Any, live_server: str) -> None:
    for scheme, background in (("dark", "rgb(18, 20, 28)"), ("light", "rgb(244, 245, 251)")):
        context = browser.new_context(viewport=PHONE, color_scheme=scheme)
        try:
            page = context.new_page()
            page.goto(live_server)
            page.wait_for_selector("#auth-view:not([hidden])")
            color = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            assert color == background, (scheme, color)
            if scheme == "dark":
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "dark-phone.png"))
        finally:
            context.close()
