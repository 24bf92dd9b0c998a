"""Image sharing in Chromium: attach, paste and drop an image, watch the upload's progress, see
the thumbnail in the bubble (sender at 1280 px, a member live at 390 px), open it full size."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_chat_browser import DESKTOP, Tab
from tests.browser.test_demo_browser import call
from tests.processes import start_server, stop_server

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def png_bytes(width: int, height: int, noise: bool = False) -> bytes:
    if noise:  # incompressible: big enough for a throttled upload to show its progress
        pixels = random.Random(3).randbytes(width * height * 3)
        image = Image.frombytes("RGB", (width, height), pixels)
    else:
        image = Image.new("RGB", (width, height), "tomato")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def upload_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    uploads = tmp_path / "files"
    process, base = start_server(tmp_path, sections=f'[uploads]\ndir = "{uploads}"\n')
    try:
        yield base, uploads
    finally:
        stop_server(process)
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log


def open_room(tab: Tab, group_id: int) -> None:
    from playwright.sync_api import expect

    tab.page.fill("#join-id", str(group_id))
    tab.page.click("#join-form button[type=submit]")
    expect(tab.page.locator("#room-title")).to_have_text("Sketch Club")


def thumbnails(page: Any) -> Any:
    return page.locator("#message-list li.msg:not(.pending) .msg-image img")


def assert_loaded_and_fitting(page: Any, count: int) -> None:
    """Each thumbnail decoded (served with the right type) and nothing overflows the page."""
    from playwright.sync_api import expect

    expect(thumbnails(page)).to_have_count(count)
    page.wait_for_function(
        "n => [...document.querySelectorAll('#message-list .msg-image img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= n",
        arg=count,
    )
    sizes = page.evaluate(
        """() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
                   widest: Math.max(...[...document.querySelectorAll('.msg-image img')]
                       .map(i => i.getBoundingClientRect().right))})"""
    )
    assert sizes["page"] <= sizes["view"] and sizes["widest"] <= sizes["view"], sizes


def test_share_an_image_and_see_its_thumbnail(browser: Any, upload_server: Any) -> None:
    from playwright.sync_api import expect

    base, uploads_dir = upload_server
    leader = call(base, "POST", "/api/auth/register", body={
        "name": "Lea", "email": "lea@uni.edu", "password": "correct horse battery"})
    group = call(base, "POST", "/api/groups/create", leader["token"], {
        "title": "Sketch Club", "subject": "Art"})["group"]
    ada = Tab(browser, base, DESKTOP)
    ben = Tab(browser, base, PHONE)
    try:
        ada.register("Ada Lovelace", "ada@uni.edu")
        ben.register("Ben Okafor", "ben@uni.edu")
        open_room(ada, group["id"])
        open_room(ben, group["id"])

        # Attach, with the upload slowed down: the progress bar shows and moves.
        cdp = ada.context.new_cdp_session(ada.page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 20, "downloadThroughput": -1,
            "uploadThroughput": 150 * 1024})
        ada.page.set_input_files("#attach-input", files=[{
            "name": "board.png", "mimeType": "image/png", "buffer": png_bytes(360, 360, True)}])
        bar = ada.page.locator("#upload-status progress")
        expect(bar).to_be_visible()
        ada.page.wait_for_function(
            "() => { const p = document.querySelector('#upload-status progress');"
            " return !p || p.value > 0; }"
        )
        expect(ada.page.locator("#upload-status")).to_be_hidden(timeout=60_000)
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        assert_loaded_and_fitting(ada.page, 1)
        assert_loaded_and_fitting(ben.page, 1)  # live, on the phone

        # Paste and drop go the same way.
        picture = list(png_bytes(800, 400))
        ada.page.evaluate(
            """bytes => {
                const file = new File([new Uint8Array(bytes)], "pasted.png", {type: "image/png"});
                const data = new DataTransfer();
                data.items.add(file);
                document.getElementById("composer-input").dispatchEvent(
                    new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
            }""",
            picture,
        )
        assert_loaded_and_fitting(ada.page, 2)
        ben.page.evaluate(
            """bytes => {
                const file = new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"});
                const data = new DataTransfer();
                data.items.add(file);
                const room = document.getElementById("room");
                for (const type of ["dragover", "drop"]) {
                    room.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true,
                                                            cancelable: true}));
                }
            }""",
            picture,
        )
        assert_loaded_and_fitting(ben.page, 3)
        assert_loaded_and_fitting(ada.page, 3)

        # A thumbnail fits in 320 px and is not the full image; a click shows the full image.
        first = thumbnails(ben.page).nth(1)
        natural = first.evaluate("i => [i.naturalWidth, i.naturalHeight]")
        assert natural == [320, 160], natural
        first.click()
        viewer = ben.page.locator("#image-viewer")
        expect(viewer).to_be_visible()
        ben.page.wait_for_function(
            "() => { const i = document.getElementById('image-viewer-img');"
            " return i.complete && i.naturalWidth === 800; }"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        ben.page.screenshot(path=str(ARTIFACTS / "uploads-phone-viewer.png"))
        viewer.click()
        expect(viewer).to_be_hidden()

        # Not an image: refused in plain words, nothing sent.
        ada.page.set_input_files("#attach-input", files=[{
            "name": "notes.png", "mimeType": "image/png", "buffer": b"<html>not an image</html>"}])
        expect(ada.page.locator("#toasts")).to_contain_text("PNG, JPEG, GIF and WebP")
        expect(thumbnails(ada.page)).to_have_count(3)
        ada.page.screenshot(path=str(ARTIFACTS / "uploads-desktop.png"))
        assert sum(1 for p in uploads_dir.rglob("*") if p.is_file()) == 6  # 3 images + thumbs
        assert ada.problems == [] and ben.problems == [], ada.problems + ben.problems
    finally:
        ada.close()
        ben.close()
