"""A local push service (an aiohttp server on a free loopback port) and a browser's side of a
subscription, for the push tests: what arrives is decrypted with the subscriber's key."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece  # type: ignore[import-untyped]
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.webpush import VapidKeys, b64url_decode, b64url_encode
from settings import PushSettings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() on arrival


@dataclass
class LocalPushService:
    """Answers every POST with `status` (per path in `statuses`) and records it."""

    received: list[Received] = field(default_factory=list)
    status: int = 201
    statuses: dict[str, int] = field(default_factory=dict)
    base: str = ""
    _runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1") -> LocalPushService:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://{host}:{port}"
        return self

    async def _receive(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(request.path, dict(request.headers), await request.read(), time.time())
        )
        return web.Response(status=self.statuses.get(request.path, self.status))

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.at(path)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} push(es) to {path} expected, got {self.at(path)}")
            await asyncio.sleep(0.02)
        return self.at(path)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class Subscriber:
    """A browser: its P-256 key pair and auth secret."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def body(self, endpoint: str) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives a browser app to send to the server."""
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = {"p256dh": b64url_encode(point), "auth": b64url_encode(self.auth)}
        return {"endpoint": endpoint, "keys": keys, "expirationTime": None}

    def decrypt(self, received: Received) -> dict[str, Any]:
        plain = http_ece.decrypt(
            received.body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        decoded: dict[str, Any] = json.loads(plain)
        return decoded


def check_vapid(received: Received, endpoint_origin: str, public_key: str) -> dict[str, Any]:
    """RFC 8292: `vapid t=<ES256 JWT>, k=<public key>`, aud = the push service's origin,
    exp at most 24 h ahead; verified with the server's published public key."""
    scheme, _, params = received.headers["Authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    point = b64url_decode(public_key)
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    claims: dict[str, Any] = jwt.decode(
        fields["t"], verifier, algorithms=["ES256"], audience=endpoint_origin
    )
    assert jwt.get_unverified_header(fields["t"])["alg"] == "ES256"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"].startswith(("mailto:", "https:"))
    return claims


TEST_VAPID_KEY = VapidKeys.generate().private_b64url()


# The app the push test modules run against (they import it; `push_service` is in conftest).


@pytest.fixture(name="client")
async def push_enabled_client(make_client: Any) -> Any:
    """The app with a VAPID key and http:// push endpoints allowed (the local service)."""
    return await make_client(
        push=PushSettings(vapid_private_key=TEST_VAPID_KEY, allow_http_endpoints=True)
    )
