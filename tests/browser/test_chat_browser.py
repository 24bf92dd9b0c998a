"""End to end in Chromium: two people register, share a group and see each other live."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


class Tab:
    """One browser context (its own localStorage, so its own login) and its page."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.goto(base)

    def _console(self, message: Any) -> None:
        # Refused requests (the 4xx the test provokes) are logged by Chromium itself; anything
        # else — a script error, a Content-Security-Policy violation — is a problem.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)

    def register(self, name: str, email: str, subjects: str = "Calculus, Physics") -> None:
        from playwright.sync_api import expect

        page = self.page
        page.click("#tab-register")
        page.fill("#reg-name", name)
        page.fill("#reg-email", email)
        page.fill("#reg-password", "correct horse battery")
        page.fill("#reg-major", "Physics")
        page.fill("#reg-subjects", subjects)
        page.fill("#reg-style", "I like to work through problem sets together and explain out loud")
        page.check('#reg-schedule input[data-day="Monday"][data-slot="evening"]')
        page.check('#reg-schedule input[data-day="Wednesday"][data-slot="evening"]')
        page.click("#register-form button[type=submit]")
        expect(page.locator("#me-name")).to_have_text(name)
        expect(page.locator("#conn")).to_have_text("live")

    def close(self) -> None:
        self.context.close()


def message(page: Any, text: str) -> Any:
    return page.locator("#message-list li.msg", has_text=text)


def test_two_people_chat_live(browser: Any, live_server: str) -> None:
    from playwright.sync_api import expect

    ada = Tab(browser, live_server, DESKTOP)
    ben = Tab(browser, live_server, PHONE)
    try:
        # A wrong email is explained in plain words, not a code.
        ben.page.click("#tab-register")
        ben.page.fill("#reg-name", "Ben")
        ben.page.fill("#reg-email", "ben@gmail.com")
        ben.page.fill("#reg-password", "correct horse battery")
        ben.page.click("#register-form button[type=submit]")
        expect(ben.page.locator("#auth-error")).to_contain_text("must be a .edu address")

        ada.register("Ada Lovelace", "ada@uni.edu")
        ben.register("Ben Okafor", "ben@uni.edu")

        ada.page.click("#create-box summary")
        ada.page.fill("#create-title", "Quantum Study Crew")
        ada.page.fill("#create-subject", "Physics")
        ada.page.select_option("#create-policy", "approval")
        ada.page.click("#create-form button[type=submit]")
        expect(ada.page.locator("#room-title")).to_have_text("Quantum Study Crew")
        group_id = ada.page.locator("#group-list .group-row.current").get_attribute("data-group-id")

        ben.page.fill("#join-id", "999999")
        ben.page.click("#join-form button[type=submit]")
        expect(ben.page.locator("#toasts")).to_contain_text("Group not found")
        ben.page.fill("#join-id", str(group_id))
        ben.page.click("#join-form button[type=submit]")
        expect(ben.page.locator("#toasts")).to_contain_text("Request sent to the group leader")
        row = ben.page.locator(f'#group-list .group-row[data-group-id="{group_id}"]')
        expect(row.locator(".tag")).to_have_text("pending")

        # The leader approves from the live request; Ben's list updates without a reload.
        request = ada.page.locator("#toasts .request", has_text="Ben Okafor asked to join")
        request.get_by_role("button", name="Approve").click()
        expect(ada.page.locator("#toasts")).to_contain_text("Request approved")
        expect(row.locator(".tag")).to_have_count(0)
        row.click()
        expect(ben.page.locator("#room-title")).to_have_text("Quantum Study Crew")

        # Presence: each sees the other online.
        expect(ada.page.locator("#members .member.online", has_text="Ben Okafor")).to_be_visible()
        expect(ben.page.locator("#members .member.online", has_text="Ada Lovelace")).to_be_visible()

        # Typing indicator, live.
        ada.page.locator("#composer-input").press_sequentially("Hi Ben", delay=30)
        expect(ben.page.locator("#typing")).to_have_text("Ada Lovelace is typing…")

        # The message arrives live; markup in it is shown as text, never interpreted.
        ada.page.locator("#composer-input").press_sequentially(" <b>bold?</b>", delay=5)
        ada.page.keyboard.press("Enter")
        text = "Hi Ben <b>bold?</b>"
        expect(message(ben.page, text)).to_have_count(1)
        expect(message(ben.page, text).locator(".msg-body")).to_have_text(text)
        assert message(ben.page, text).locator(".msg-body b").count() == 0
        expect(ben.page.locator("#typing")).to_have_text("")
        expect(message(ada.page, text)).to_have_count(1)  # the sender's copy is not doubled
        expect(message(ada.page, text)).not_to_have_class("pending")

        # A reaction from Ben reaches Ada live; Ada's toggle is counted for both.
        bens = message(ben.page, text)
        bens.locator(".add-reaction").click()
        bens.locator(".pick", has_text="👍").click()
        chip = message(ada.page, text).locator(".reaction", has_text="👍")
        expect(chip.locator(".count")).to_have_text("1")
        chip.click()
        expect(message(ben.page, text).locator(".reaction .count")).to_have_text("2")
        expect(message(ada.page, text).locator(".reaction.mine .count")).to_have_text("2")

        # Ben answers; Ada sees it live.
        ben.page.fill("#composer-input", "Hello Ada!")
        ben.page.click("#send")
        expect(message(ada.page, "Hello Ada!")).to_have_count(1)

        ARTIFACTS.mkdir(exist_ok=True)
        ada.page.screenshot(path=str(ARTIFACTS / "chat-desktop.png"))
        ben.page.screenshot(path=str(ARTIFACTS / "chat-phone.png"))

        # Ada's token is logged out elsewhere: the server closes her socket and the page
        # returns to the login form, saying why.
        from tests.browser.test_demo_browser import call

        token = ada.page.evaluate("localStorage.getItem('studysync.token')")
        call(live_server, "POST", "/api/auth/logout", token, {})
        expect(ada.page.locator("#auth-view")).to_be_visible()
        expect(ada.page.locator("#auth-error")).to_contain_text("log in again")
        assert ada.problems == [] and ben.problems == [], ada.problems + ben.problems
    finally:
        ada.close()
        ben.close()


def test_reconnect_catches_up_without_gaps_or_duplicates(browser: Any, tmp_path: Any) -> None:
    """The server restarts while Ben is offline; messages sent meanwhile arrive through
    messages:sync after the reconnect, in order and once each."""
    from playwright.sync_api import expect

    from tests.browser.test_demo_browser import call
    from tests.processes import start_server, stop_server

    process, base = start_server(tmp_path)
    ben = None
    try:
        ada = call(
            base,
            "POST",
            "/api/auth/register",
            body={"name": "Ada", "email": "ada@uni.edu", "password": "correct horse battery"},
        )
        group = call(
            base,
            "POST",
            "/api/groups/create",
            ada["token"],
            {"title": "Night Owls", "subject": "Physics"},
        )["group"]
        call(base, "POST", f"/api/chat/{group['id']}/send", ada["token"], {"content": "before"})

        ben = Tab(browser, base, PHONE)
        ben.register("Ben Okafor", "ben@uni.edu")
        ben.page.fill("#join-id", str(group["id"]))
        ben.page.click("#join-form button[type=submit]")
        expect(message(ben.page, "before")).to_have_count(1)

        ben.context.set_offline(True)
        stop_server(process)
        expect(ben.page.locator("#conn")).not_to_have_text("live")
        # Sending now fails in plain words, with a Retry; it is not lost.
        ben.page.fill("#composer-input", "written while offline")
        ben.page.click("#send")
        failed = ben.page.locator("#message-list li.msg.failed", has_text="written while offline")
        expect(failed.locator(".msg-status")).to_contain_text("did not answer in time")
        expect(failed.get_by_role("button", name="Retry")).to_be_visible()
        port = int(base.rsplit(":", 1)[1])
        process, base = start_server(tmp_path, port)
        for n in range(5):
            call(
                base,
                "POST",
                f"/api/chat/{group['id']}/send",
                ada["token"],
                {"content": f"while away {n}"},
            )
        ben.context.set_offline(False)

        expect(ben.page.locator("#conn")).to_have_text("live", timeout=20_000)
        bodies = ben.page.locator("#message-list li.msg .msg-body")
        # The unsent message is sent again after the catch-up (same clientId: stored once).
        expected = ["before"] + [f"while away {n}" for n in range(5)] + ["written while offline"]
        expect(bodies).to_have_text(expected)
        expect(ben.page.locator("#message-list li.msg.pending")).to_have_count(0)
        # Live delivery works again on the new server.
        call(base, "POST", f"/api/chat/{group['id']}/send", ada["token"], {"content": "live again"})
        expect(bodies).to_have_text([*expected, "live again"])
        stored = call(base, "GET", f"/api/chat/{group['id']}/messages", ada["token"])["messages"]
        assert [m["content"] for m in stored] == [*expected, "live again"]
        assert ben.problems == [], ben.problems
    finally:
        if ben is not None:
            ben.close()
        stop_server(process)
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log
