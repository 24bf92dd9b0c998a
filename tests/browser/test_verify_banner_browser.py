"""In Chromium: an unverified user sees the verification banner, resends the mail, verifies
through the mail's link and sees the verified state (also after a reload)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.accounts_helpers import Outbox, code_of
from tests.browser.test_chat_browser import Tab
from tests.processes import start_server, stop_server

pytestmark = pytest.mark.browser


def test_banner_resend_and_verified_state(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    outbox = Outbox(tmp_path / "outbox")
    process, base = start_server(tmp_path, env={"OUTBOX_DIR": str(outbox.directory)})
    tab = None
    try:
        tab = Tab(browser, base, {"width": 1280, "height": 800})
        tab.register("Ada Lovelace", "ada@uni.edu")
        banner = tab.page.locator("#verify-banner")
        expect(banner).to_contain_text("verify your email address")
        expect(banner).to_contain_text("ada@uni.edu")
        expect(tab.page.locator("#verified-mark")).to_have_count(0)

        tab.page.click("#verify-resend")
        expect(banner).to_contain_text("Sent: check ada@uni.edu")
        tab.page.click("#verify-check")
        expect(banner).to_contain_text("Not verified yet")

        deadline = time.monotonic() + 10
        while len(mails := outbox.matching("ada@uni.edu", "Verify")) < 2:
            assert time.monotonic() < deadline, "the resent mail never reached the outbox"
            time.sleep(0.1)
        assert len(mails) == 2  # the registration's and the resent one
        page = tab.context.new_page()
        page.goto(f"{base}/verify-email?token={code_of(mails[-1])}")
        expect(page.locator("h1")).to_have_text("Email verified")
        page.close()

        tab.page.click("#verify-check")
        expect(banner).to_contain_text("Email verified")
        expect(tab.page.locator("#verified-mark")).to_be_visible()
        tab.page.reload()
        expect(tab.page.locator("#conn")).to_have_text("live")
        expect(tab.page.locator("#verified-mark")).to_be_visible()
        expect(tab.page.locator("#verify-banner")).to_have_count(0)
        assert tab.problems == []
    finally:
        if tab is not None:
            tab.close()
        stop_server(process)
