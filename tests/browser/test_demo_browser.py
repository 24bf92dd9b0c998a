"""The browser client on seeded demo data: unread counts, history paging, session
announcements and recommendations, at desktop and phone widths."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_chat_browser import DESKTOP, PHONE, Tab
from tests.browser.test_seed_demo import seed_demo, write_config
from tests.processes import start_server, stop_server

pytestmark = pytest.mark.browser


def call(base: str, method: str, path: str, token: str = "", body: Any = None) -> Any:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def log_in(tab: Tab, email: str) -> None:
    from playwright.sync_api import expect

    tab.page.fill("#login-email", email)
    tab.page.fill("#login-password", DEMO_PASSWORD)
    tab.page.click("#login-form button[type=submit]")
    expect(tab.page.locator("#conn")).to_have_text("live")


@pytest.fixture
def demo_server(browser: Any, tmp_path: Path) -> Any:
    seed_demo(write_config(tmp_path), users=20, groups=12)
    process, base = start_server(tmp_path)
    try:
        yield base
    finally:
        stop_server(process)
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log


def test_demo_rooms_history_sessions_and_recommendations(browser: Any, demo_server: str) -> None:
    from playwright.sync_api import expect

    base = demo_server
    token = call(
        base,
        "POST",
        "/api/auth/login",
        body={"email": "demo001@demo.edu", "password": DEMO_PASSWORD},
    )["token"]
    groups = call(base, "GET", "/api/groups/mine", token)["groups"]
    assert len(groups) >= 2 and all(g["unreadCount"] > 0 for g in groups)
    room = groups[0]
    for n in range(45):
        call(base, "POST", f"/api/chat/{room['id']}/send", token, {"content": f"page test {n}"})
    total = len(call(base, "GET", f"/api/chat/{room['id']}/messages?limit=200", token)["messages"])

    desk = Tab(browser, base, DESKTOP)
    phone = Tab(browser, base, PHONE)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        phone.page.screenshot(path=str(ARTIFACTS / "login-phone.png"))
        log_in(desk, "demo001@demo.edu")
        rows = desk.page.locator("#group-list .group-row")
        expect(rows).to_have_count(len(groups))
        expect(desk.page.locator("#group-list .badge").first).to_be_visible()

        # History: the newest page first, older pages as the user scrolls up.
        desk.page.click(f'#group-list .group-row[data-group-id="{room["id"]}"]')
        messages = desk.page.locator("#message-list li.msg")
        expect(messages).to_have_count(30)
        expect(messages.last).to_contain_text("page test 44")
        for _ in range(10):
            if messages.count() == total:
                break
            desk.page.locator("#messages").evaluate("box => { box.scrollTop = 0; }")
            desk.page.wait_for_timeout(300)
        expect(messages).to_have_count(total)
        expect(desk.page.locator("#older-status")).to_have_text(
            "This is the start of the conversation"
        )
        expect(
            desk.page.locator(f'#group-list .group-row[data-group-id="{room["id"]}"] .badge')
        ).to_have_count(0)
        expect(desk.page.locator("#message-list .session-note").first).to_contain_text(
            "Next session"
        )

        # A session scheduled elsewhere (REST) is announced in the open room, live.
        start = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        call(
            base,
            "POST",
            f"/api/groups/{room['id']}/sessions",
            token,
            {
                "title": "Mock exam",
                "scheduledTime": start,
                "durationMinutes": 90,
                "location": "Library",
            },
        )
        expect(desk.page.locator(".session-note", has_text="Mock exam")).to_contain_text(
            "Session announced"
        )
        desk.page.locator("#messages").evaluate("box => { box.scrollTop = box.scrollHeight; }")
        desk.page.screenshot(path=str(ARTIFACTS / "demo-room-desktop.png"))

        # Recommendations: real groups with match % and an explanation; joining opens the room.
        desk.page.click("#nav-discover")
        cards = desk.page.locator("#rec-groups li.rec.group")
        expect(cards.first).to_be_visible()
        expect(cards.first.locator(".match")).to_have_text(re.compile(r"^\d+%$"))
        assert cards.first.locator(".explanation").inner_text().strip()
        expect(desk.page.locator("#rec-groups li.rec.create")).to_have_count(1)
        expect(desk.page.locator("#rec-partners li.rec.partner").first).to_be_visible()
        desk.page.screenshot(path=str(ARTIFACTS / "demo-discover-desktop.png"))
        open_card = (
            cards.filter(has=desk.page.locator("button.primary", has_text="Join"))
            .filter(has_not=desk.page.locator("button", has_text="Request"))
            .first
        )
        title = open_card.locator("h4").inner_text()
        open_card.locator("button.primary").click()
        expect(desk.page.locator("#room-title")).to_have_text(title)

        # Phone width: one pane at a time, with a way back.
        log_in(phone, "demo002@demo.edu")
        phone.page.screenshot(path=str(ARTIFACTS / "demo-groups-phone.png"))
        phone.page.click("#nav-discover")
        expect(phone.page.locator("#sidebar")).to_be_hidden()
        expect(phone.page.locator("#rec-groups li.rec").first).to_be_visible()
        phone.page.screenshot(path=str(ARTIFACTS / "demo-discover-phone.png"))
        phone.page.locator("#discover .back").click()
        expect(phone.page.locator("#sidebar")).to_be_visible()
        phone.page.locator("#group-list .group-row").first.click()
        expect(phone.page.locator("#message-list li.msg").first).to_be_visible()
        phone.page.screenshot(path=str(ARTIFACTS / "demo-room-phone.png"))
        assert desk.problems == [] and phone.problems == [], desk.problems + phone.problems
    finally:
        desk.close()
        phone.close()
