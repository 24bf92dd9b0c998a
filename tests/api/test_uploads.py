"""Uploads against a real server process (`server.py serve`), on SQLite and MariaDB: the
contract's 201 shape and file headers, hostile files (each refused with its code, nothing
stored, the server still healthy), the size limit while streaming, the quota under parallel
uploads, and image messages by uploadId over REST and Socket.IO."""

from __future__ import annotations

import asyncio
import io
import random
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import func, select

from storage.engine import create_engine
from storage.tables import message_uploads, uploads, users
from tests.adapters.test_images import encoded, huge_bilevel_png, photo_with_gps
from tests.conftest import wipe
from tests.helpers import expect_error, register
from tests.processes import start_server, stop_server
from tests.realtime.conftest import ChatSocket

MAX_BYTES = 10 * 1024 * 1024
QUOTA_MB = 2
KEY = re.compile(r"^/uploads/([A-Za-z0-9_-]{22,})$")  # >= 128 bits of URL-safe base64
FILE_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
}


@dataclass
class Server:
    base: str
    database_url: str
    uploads_dir: Path

    def stored_files(self) -> list[Path]:
        return [p for p in self.uploads_dir.rglob("*") if p.is_file()]

    async def upload_rows(self, user_id: int | None = None) -> int:
        engine = create_engine(self.database_url)
        try:
            query = select(func.count()).select_from(uploads)
            if user_id is not None:
                query = query.where(uploads.c.user_id == user_id)
            async with engine.connect() as connection:
                return int((await connection.execute(query)).scalar_one())
        finally:
            await engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One real server per backend for this module, its uploads in a fresh directory."""
    tmp = tmp_path_factory.mktemp(f"uploads-{request.param}")
    uploads_dir = tmp / "files"
    env = {}
    database_url = f"sqlite+aiosqlite:///{tmp}/app.db"
    if request.param == "mariadb":
        database_url = request.getfixturevalue("mariadb_url")
        env["DATABASE_URL"] = database_url
    process, base = start_server(
        tmp, env=env, sections=f'[uploads]\ndir = "{uploads_dir}"\nquota_mb = {QUOTA_MB}\n'
    )
    try:
        yield Server(base, database_url, uploads_dir)
    finally:
        stop_server(process)
        if request.param == "mariadb":
            asyncio.run(wipe(database_url))
    log = (tmp / "server.log").read_text()
    assert "Traceback" not in log, log  # every refusal above was an answer, never a crash


@pytest.fixture
async def client(server: Server) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.base) as session:
        yield session


def form(data: bytes, filename: str = "photo.png", content_type: str = "image/png") -> Any:
    body = aiohttp.FormData()
    body.add_field("file", io.BytesIO(data), filename=filename, content_type=content_type)
    return body


async def upload(client: aiohttp.ClientSession, account: dict[str, Any], data: bytes, **kw: Any):
    return await client.post("/api/uploads", data=form(data, **kw), headers=account["headers"])


async def uploaded(client: aiohttp.ClientSession, account: dict[str, Any], data: bytes) -> Any:
    response = await upload(client, account, data)
    assert response.status == 201, await response.text()
    return (await response.json())["upload"]


def png(width: int = 64, height: int = 48, color: str = "teal") -> bytes:
    return encoded(Image.new("RGB", (width, height), color), "PNG")


def noise_png(side: int, seed: int = 7) -> bytes:
    """Incompressible pixels: the stored size is about side*side*3 bytes."""
    pixels = random.Random(seed).randbytes(side * side * 3)
    return encoded(Image.frombytes("RGB", (side, side), pixels), "PNG")


async def assert_healthy(client: aiohttp.ClientSession) -> None:
    response = await client.get("/api/health")
    assert response.status == 200, await response.text()


async def test_an_upload_is_cleaned_and_served_by_its_capability_url(
    client: aiohttp.ClientSession, server: Server
) -> None:
    account = await register(client)
    photo = photo_with_gps()  # 40x20 JPEG, EXIF orientation 6, GPS, ICC, XMP
    response = await upload(client, account, photo, filename="me.jpg", content_type="image/jpeg")
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["success"] is True
    item = body["upload"]
    assert set(item) == {"id", "url", "thumbnailUrl", "contentType", "size", "width", "height"}
    assert isinstance(item["id"], int) and item["contentType"] == "image/jpeg"
    assert (item["width"], item["height"]) == (20, 40)  # the orientation was applied
    assert KEY.match(item["url"]) and KEY.match(item["thumbnailUrl"])
    assert item["url"] != item["thumbnailUrl"]

    async with aiohttp.ClientSession(base_url=server.base) as anonymous:  # no token at all
        served = await anonymous.get(item["url"])
        data = await served.read()
        assert served.status == 200
        for name, value in FILE_HEADERS.items():
            assert served.headers[name] == value
        assert served.headers["Content-Type"] == "image/jpeg"
        assert len(data) == item["size"]
        stored = Image.open(io.BytesIO(data))
        assert stored.format == "JPEG" and stored.size == (20, 40)
        assert not stored.getexif() and "icc_profile" not in stored.info
        assert b"SpyCam" not in data and b"secret-place" not in data
        thumb = await anonymous.get(item["thumbnailUrl"])
        assert thumb.status == 200 and thumb.headers["Content-Type"] == "image/jpeg"
        assert thumb.headers["Cache-Control"] == FILE_HEADERS["Cache-Control"]
        thumbnail = Image.open(io.BytesIO(await thumb.read()))
        assert thumbnail.width <= 320 and thumbnail.height <= 320

        guessed = item["url"][:-4] + ("AAAA" if not item["url"].endswith("AAAA") else "BBBB")
        for path in (guessed, "/uploads/..%2F..%2Fapp.db", "/uploads/" + "x" * 200):
            await expect_error(await anonymous.get(path), 404, "not_found")


async def test_a_large_image_gets_a_small_thumbnail(client: aiohttp.ClientSession) -> None:
    account = await register(client)
    item = await uploaded(client, account, png(1600, 900))
    assert (item["width"], item["height"]) == (1600, 900)
    async with client.get(item["thumbnailUrl"]) as thumb:
        image = Image.open(io.BytesIO(await thumb.read()))
    assert image.size == (320, 180)


def truncated_jpeg() -> bytes:
    whole = encoded(Image.new("RGB", (300, 300), "orange"), "JPEG")
    return whole[: len(whole) // 2]


HOSTILE = {
    "html named .png": (
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
        415,
        "unsupported_media_type",
    ),
    "svg": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        415,
        "unsupported_media_type",
    ),
    "polyglot html+png": (
        b"<html><script>alert(1)</script></html>" + encoded(Image.new("RGB", (4, 4)), "PNG"),
        415,
        "unsupported_media_type",
    ),
    "truncated jpeg": (truncated_jpeg(), 422, "invalid_input"),
    "20000x20000 png": (huge_bilevel_png(20000, 20000), 422, "invalid_input"),
    "10 MiB + 1": (b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_BYTES + 1 - 8), 413, "payload_too_large"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_uploads_are_refused_and_leave_nothing(
    client: aiohttp.ClientSession, server: Server, name: str
) -> None:
    data, status, code = HOSTILE[name]
    account = await register(client)
    files_before = server.stored_files()
    response = await upload(client, account, data, filename="cute-cat.png")
    await expect_error(response, status, code)
    assert server.stored_files() == files_before
    assert await server.upload_rows(account["user"]["id"]) == 0
    await assert_healthy(client)
    await uploaded(client, account, png())  # and the next honest upload works


async def test_a_polyglot_image_keeps_its_pixels_and_loses_its_payload(
    client: aiohttp.ClientSession,
) -> None:
    """A real PNG with HTML after IEND (and in a text chunk) is accepted: what is stored is
    the re-encoded pixels only."""
    image = Image.new("RGB", (8, 8), "navy")
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(2)</script>")
    data = encoded(image, "PNG", pnginfo=info) + b"<html><script>alert(1)</script></html>"
    account = await register(client)
    item = await uploaded(client, account, data)
    async with client.get(item["url"]) as served:
        stored = await served.read()
    assert b"script" not in stored and Image.open(io.BytesIO(stored)).size == (8, 8)


async def test_requests_that_are_not_an_upload(client: aiohttp.ClientSession) -> None:
    account = await register(client)
    await expect_error(await client.post("/api/uploads", data=form(png())), 401, "unauthorized")
    await expect_error(
        await client.post("/api/uploads", json={"file": "x"}, headers=account["headers"]),
        415,
        "unsupported_media_type",
    )
    other = aiohttp.FormData()
    other.add_field("image", png(), filename="a.png", content_type="image/png")
    response = await client.post("/api/uploads", data=other, headers=account["headers"])
    assert (await expect_error(response, 422, "invalid_input"))["error"]["details"] == {
        "file": "a part named file is required"
    }
    twice = aiohttp.FormData()
    for _ in range(2):
        twice.add_field("file", png(), filename="a.png", content_type="image/png")
    response = await client.post("/api/uploads", data=twice, headers=account["headers"])
    await expect_error(response, 422, "invalid_input")
    broken = await client.post(
        "/api/uploads",
        data=b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc",
        headers=account["headers"] | {"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status in (415, 422), await broken.text()
    assert await broken.json()
    await assert_healthy(client)


MALFORMED = {
    "no boundary": ("multipart/form-data", b"--x\r\n\r\nabc"),
    "never closed": ("multipart/form-data; boundary=xyz",
                     b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc'),
    "no disposition": ("multipart/form-data; boundary=xyz", b"--xyz\r\n\r\nabc\r\n--xyz--\r\n"),
    "nested": ("multipart/form-data; boundary=xyz",
               b"--xyz\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n"
               b"--in\r\n\r\nabc\r\n--in--\r\n--xyz--\r\n"),
    "garbage": ("multipart/form-data; boundary=xyz", b"\x00\xff" * 100),
    # a control character in a part header (found by tests/security/test_openapi_fuzz.py)
    "bad part header": ("multipart/form-data; boundary=xyz",
                        b'--xyz\r\nContent-Disposition: form-data; name="\x02"\r\n\r\n'
                        b"abc\r\n--xyz--\r\n"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_malformed_multipart_is_a_clear_4xx(
    client: aiohttp.ClientSession, server: Server, name: str
) -> None:
    content_type, body = MALFORMED[name]
    account = await register(client)
    response = await client.post(
        "/api/uploads", data=body, headers=account["headers"] | {"Content-Type": content_type}
    )
    assert 400 <= response.status < 500, await response.text()
    assert (await response.json())["success"] is False
    assert await server.upload_rows(account["user"]["id"]) == 0
    await assert_healthy(client)


async def _raw_request(base: str, head: bytes, body_parts: list[bytes]) -> bytes:
    """Send `head` and the parts, then read what the server answers (never sending more)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        for part in body_parts:
            writer.write(part)
            await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()


async def test_too_large_is_refused_before_the_body_is_read(
    client: aiohttp.ClientSession, server: Server
) -> None:
    account = await register(client)
    token = account["token"]
    boundary = "b0undary"
    part_head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()

    def head(extra: str) -> bytes:
        return (
            f"POST /api/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n{extra}\r\n"
        ).encode()

    files_before = server.stored_files()
    # Content-Length says 1 GiB: answered at once, not a byte of the body sent.
    answer = await _raw_request(server.base, head(f"Content-Length: {2**30}\r\n"), [])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"payload_too_large"' in answer

    # Chunked, no length: 10 MiB + 64 KiB of file sent, the body never finished.
    chunks = [part_head] + [b"\x00" * 65536] * (MAX_BYTES // 65536 + 1)
    framed = [f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks]
    answer = await _raw_request(server.base, head("Transfer-Encoding: chunked\r\n"), framed)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert server.stored_files() == files_before
    await assert_healthy(client)


async def test_the_quota_holds_under_parallel_uploads(
    client: aiohttp.ClientSession, server: Server
) -> None:
    account = await register(client)
    data = noise_png(200)  # ~120 KB stored twice (image and same-size thumbnail)
    responses = await asyncio.gather(*(upload(client, account, data) for _ in range(24)))
    statuses = sorted(r.status for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    accepted = [await r.json() for r in responses if r.status == 201]
    for refused in (r for r in responses if r.status == 409):
        assert (await refused.json())["error"]["details"]["quotaBytes"] == QUOTA_MB * 2**20
    per_upload = 2 * accepted[0]["upload"]["size"]  # the thumbnail is the image again
    assert len(accepted) == QUOTA_MB * 2**20 // per_upload  # filled, never exceeded
    assert await server.upload_rows(account["user"]["id"]) == len(accepted)
    mine = {item["upload"]["url"] for item in accepted}
    assert len(mine) == len(accepted)
    # Full: one more is refused and leaves no file behind.
    files = len(server.stored_files())
    await expect_error(await upload(client, account, data), 409, "conflict")
    assert len(server.stored_files()) == files
    # Another user has a quota of their own.
    await uploaded(client, await register(client), data)


async def _room(client: aiohttp.ClientSession) -> tuple[int, dict[str, Any], dict[str, Any]]:
    leader, member = await register(client), await register(client)
    response = await client.post(
        "/api/groups/create",
        json={"title": "Photo Club", "subject": "Art"},
        headers=leader["headers"],
    )
    group_id = (await response.json())["group"]["id"]
    joined = await client.post(f"/api/groups/{group_id}/join", headers=member["headers"])
    assert joined.status in (200, 201), await joined.text()
    return group_id, leader, member


async def test_image_messages_by_upload_id_over_rest_and_socket(
    client: aiohttp.ClientSession, server: Server
) -> None:
    group_id, leader, member = await _room(client)
    item = await uploaded(client, leader, png(640, 480))
    image = {
        "url": item["url"],
        "thumbnailUrl": item["thumbnailUrl"],
        "width": 640,
        "height": 480,
    }
    watcher = await ChatSocket().connect(server.base, member["token"])
    try:
        response = await client.post(
            f"/api/chat/{group_id}/send",
            json={"messageType": "image", "uploadId": item["id"], "content": "our board"},
            headers=leader["headers"],
        )
        assert response.status == 201, await response.text()
        message = (await response.json())["message"]
        assert message["imageUrl"] == item["url"] and message["image"] == image
        assert message["content"] == "our board"
        pushed = await watcher.next("message:new")
        assert pushed["message"]["image"] == image

        sender = await ChatSocket().connect(server.base, leader["token"])
        try:
            send = {"groupId": group_id, "messageType": "image", "uploadId": item["id"]}
            ack = await sender.ok("message:send", send)
            assert ack["message"]["image"] == image
            assert ack["message"]["content"] == ""
            # A member cannot attach the leader's upload; unknown ids are the same answer.
            for upload_id in (item["id"], 10**12):
                await watcher.error(
                    "message:send",
                    {"groupId": group_id, "messageType": "image", "uploadId": upload_id},
                    "not_found",
                )
            await sender.error(
                "message:send",
                send | {"messageType": "text", "content": "x"},
                "invalid_input",
            )
        finally:
            await sender.close()
    finally:
        await watcher.close()

    for upload_id, status, code in ((item["id"], 404, "not_found"), (10**12, 404, "not_found")):
        response = await client.post(
            f"/api/chat/{group_id}/send",
            json={"messageType": "image", "uploadId": upload_id},
            headers=member["headers"],
        )
        await expect_error(response, status, code)
    for body in (
        {"messageType": "text", "content": "hi", "uploadId": item["id"]},
        {"messageType": "image", "uploadId": "1"},
        {"messageType": "image", "uploadId": 0},
    ):
        response = await client.post(
            f"/api/chat/{group_id}/send", json=body, headers=leader["headers"]
        )
        await expect_error(response, 422, "invalid_input")
    history = await client.get(f"/api/chat/{group_id}/messages", headers=member["headers"])
    messages = (await history.json())["messages"]
    assert [m["image"] for m in messages] == [image, image]  # the refused sends stored nothing
    assert all(m["imageUrl"] == item["url"] for m in messages)
    text = await client.post(
        f"/api/chat/{group_id}/send", json={"content": "nice"}, headers=member["headers"]
    )
    assert (await text.json())["message"]["image"] is None


async def test_uploads_go_with_their_owners_account(server: Server) -> None:
    """Rows cascade on users.id (account deletion relies on it): deleting a member removes
    their uploads, their image messages and the links; the files are no longer served."""
    async with aiohttp.ClientSession(base_url=server.base) as client:
        group_id, _leader, member = await _room(client)
        item = await uploaded(client, member, png())
        sent = await client.post(
            f"/api/chat/{group_id}/send",
            json={"messageType": "image", "uploadId": item["id"]},
            headers=member["headers"],
        )
        assert sent.status == 201
    links = select(func.count()).select_from(message_uploads)
    links = links.where(message_uploads.c.upload_id == item["id"])
    engine = create_engine(server.database_url)
    try:
        async with engine.begin() as connection:
            assert (await connection.execute(links)).scalar_one() == 1
            await connection.execute(users.delete().where(users.c.id == member["user"]["id"]))
        async with engine.connect() as connection:
            assert (await connection.execute(links)).scalar_one() == 0
    finally:
        await engine.dispose()
    assert await server.upload_rows(member["user"]["id"]) == 0
    async with aiohttp.ClientSession(base_url=server.base) as anonymous:
        await expect_error(await anonymous.get(item["url"]), 404, "not_found")
        await expect_error(await anonymous.get(item["thumbnailUrl"]), 404, "not_found")


def test_environment_configures_uploads(tmp_path: Path) -> None:
    from settings import ConfigError, load_settings

    settings = load_settings(
        environ={"UPLOADS_DIR": str(tmp_path), "UPLOADS_MAX_BYTES": "1000", "UPLOADS_QUOTA_MB": "3"}
    )
    assert settings.uploads.path == tmp_path and settings.uploads.max_bytes == 1000
    assert settings.uploads.quota_bytes == 3 * 2**20
    assert load_settings(environ={}).uploads.max_pixels == 40_000_000
    with pytest.raises(ConfigError, match="s3_url"):
        load_settings(environ={"UPLOADS_S3_URL": "s3://bucket"})
