"""/api/docs in Chromium: the page renders every operation of /api/openapi.json with the
server's own CSP (no inline script, no CDN), shows schemas and examples, and filters."""

from __future__ import annotations

from typing import Any

import requests


def test_docs_page_renders_every_operation(browser: Any, live_server: str) -> None:
    from playwright.sync_api import expect

    document = requests.get(f"{live_server}/api/openapi.json", timeout=10).json()
    operations = sum(len(methods) for methods in document["paths"].values())
    page = browser.new_page()
    failed: list[str] = []
    page.on(
        "response", lambda r: r.status >= 400 and "favicon" not in r.url and failed.append(r.url)
    )
    page.on("pageerror", lambda error: failed.append(str(error)))
    page.goto(f"{live_server}/api/docs")
    expect(page.locator("details")).to_have_count(operations)
    login = page.locator("details", has_text="/api/auth/login").first
    login.locator("summary").click()
    expect(login).to_contain_text("401 unauthorized")
    expect(login).to_contain_text('"message": "Login successful"')  # the example
    page.fill("#filter", "/api/health/ready")
    expect(page.locator("details:visible")).to_have_count(1)
    assert failed == []
