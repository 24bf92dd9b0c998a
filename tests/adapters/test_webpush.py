"""Web Push against a local push service: the test decrypts what arrives, as a browser would."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import http_ece  # type: ignore[import-untyped]
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.push import PushOutcome, PushSubscription, parse_retry_after, topic_for
from adapters.push_endpoints import InvalidEndpoint, validate_endpoint
from adapters.webpush import InvalidSubscription, VapidKeys, WebPushSender, b64url_encode

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
CONTACT = "mailto:ops@studysync.test"


@dataclass
class Subscriber:
    """A browser's side of a subscription: its private key and auth secret."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> PushSubscription:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return PushSubscription(endpoint, b64url_encode(point), b64url_encode(self.auth))

    def decrypt(self, body: bytes) -> dict[str, object]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth)
        decoded: dict[str, object] = json.loads(plain)
        return decoded


@dataclass
class PushService:
    server: TestServer
    requests: list[tuple[str, dict[str, str], bytes]]
    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, path: str = "/push/abc") -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def service(aiohttp_server: ServerFactory) -> PushService:
    state: PushService | None = None

    async def receive(request: web.Request) -> web.Response:
        assert state is not None
        state.requests.append((request.path, dict(request.headers), await request.read()))
        return web.Response(status=state.status, headers=state.headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receive)
    state = PushService(await aiohttp_server(app), [])
    return state


@pytest.fixture
def keys() -> VapidKeys:
    return VapidKeys.generate()


@pytest.fixture
async def push(keys: VapidKeys) -> AsyncIterator[WebPushSender]:
    sender = WebPushSender(keys, CONTACT, allow_http=True, request_timeout=5)
    yield sender
    await sender.close()


async def test_push_arrives_encrypted_signed_and_decryptable(
    service: PushService, keys: VapidKeys, push: WebPushSender
) -> None:
    subscriber = Subscriber()
    payload = {
        "type": "message",
        "groupId": 7,
        "title": "Algebra",
        "body": "Ada: hi ✓",
        "url": "/g/7",
    }
    result = await push.send(
        subscriber.subscription(service.url()),
        payload,
        ttl=3600,
        urgency="high",
        topic=topic_for("group:7"),
    )

    assert result.outcome is PushOutcome.DELIVERED and result.status == 201
    [(path, headers, body)] = service.requests
    assert path == "/push/abc"
    assert subscriber.decrypt(body) == payload
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["TTL"] == "3600" and headers["Urgency"] == "high"
    assert headers["Topic"] == topic_for("group:7") and len(headers["Topic"]) <= 32
    scheme, _, params = headers["Authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == keys.public_key_b64url
    public = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(),
        keys.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        ),
    )
    origin = f"http://127.0.0.1:{service.server.port}"
    claims = jwt.decode(fields["t"], public, algorithms=["ES256"], audience=origin)
    assert claims["sub"] == CONTACT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    with pytest.raises(jwt.InvalidSignatureError):  # signed by this server's key, not another
        other = VapidKeys.generate().private_key.public_key()
        jwt.decode(fields["t"], other, algorithms=["ES256"], audience=origin)


@pytest.mark.parametrize("status", [404, 410])
async def test_a_gone_subscription_is_reported_gone(
    service: PushService, keys: VapidKeys, push: WebPushSender, status: int
) -> None:
    service.status = status
    result = await push.send(Subscriber().subscription(service.url()), {}, ttl=60)
    assert result.outcome is PushOutcome.GONE and result.status == status


async def test_rate_limited_means_retry_after(
    service: PushService, keys: VapidKeys, push: WebPushSender
) -> None:
    service.status, service.headers = 429, {"Retry-After": "120"}
    result = await push.send(Subscriber().subscription(service.url()), {}, ttl=60)
    assert result.outcome is PushOutcome.RETRY and result.retry_after == 120
    service.status, service.headers = 503, {}
    result = await push.send(Subscriber().subscription(service.url()), {}, ttl=60)
    assert result.outcome is PushOutcome.RETRY and result.retry_after is None
    service.status = 400
    result = await push.send(Subscriber().subscription(service.url()), {}, ttl=60)
    assert result.outcome is PushOutcome.FAILED


async def test_a_redirect_is_not_followed(
    service: PushService, keys: VapidKeys, push: WebPushSender
) -> None:
    service.status, service.headers = 307, {"Location": service.url("/elsewhere")}
    result = await push.send(Subscriber().subscription(service.url()), {}, ttl=60)
    assert result.outcome is PushOutcome.FAILED and result.status == 307
    assert [path for path, _, _ in service.requests] == ["/push/abc"]


async def test_an_unreachable_service_means_retry(push: WebPushSender) -> None:
    from tests.adapters.smtp_server import free_port

    endpoint = f"http://127.0.0.1:{free_port()}/push"
    result = await push.send(Subscriber().subscription(endpoint), {}, ttl=60)
    assert result.outcome is PushOutcome.RETRY and result.status is None


async def test_bad_subscription_keys_and_topics_are_refused(push: WebPushSender) -> None:
    good = Subscriber().subscription("http://127.0.0.1:9/push")
    with pytest.raises(InvalidSubscription):
        await push.send(PushSubscription(good.endpoint, "AAAA", good.auth), {}, ttl=60)
    with pytest.raises(InvalidSubscription):
        await push.send(PushSubscription(good.endpoint, good.p256dh, "AAAA"), {}, ttl=60)
    with pytest.raises(ValueError):
        await push.send(good, {}, ttl=60, topic="x" * 33)
    with pytest.raises(ValueError):
        await push.send(good, {}, ttl=60, topic="group:7")
    with pytest.raises(ValueError):
        await push.send(good, {"body": "x" * 5000}, ttl=60)


@pytest.mark.parametrize(
    "url",
    [
        "http://push.example.com/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://172.16.0.1/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/x",
        "https://0.0.0.0/x",
        "https://224.0.0.1/x",
        "https://[::1]/x",
        "https://[fe80::1]/x",
        "https://[fc00::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://localhost/x",
        "https://user:pw@fcm.googleapis.com/x",
        "https://user@fcm.googleapis.com/x",
        "ftp://fcm.googleapis.com/x",
        "https:///x",
    ],
)
async def test_endpoint_refusals(url: str) -> None:
    with pytest.raises(InvalidEndpoint):
        await validate_endpoint(url)


async def test_every_resolved_address_must_be_public() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "10.0.0.5"]

    async def public(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "2001:4860:4860::8888"]

    with pytest.raises(InvalidEndpoint):
        await validate_endpoint("https://push.example.com/x", resolver=mixed)
    assert await validate_endpoint("https://push.example.com/x", resolver=public)
    assert await validate_endpoint("https://8.8.8.8/x")
    assert await validate_endpoint("http://127.0.0.1:8080/x", allow_http=True)
    with pytest.raises(InvalidEndpoint):
        await validate_endpoint("http://127.0.0.1/x", allow_http=True, allow_private=False)


def test_vapid_keys_round_trip_through_pem_and_base64url() -> None:
    keys = VapidKeys.generate()
    assert VapidKeys.load(keys.private_pem()).public_key_b64url == keys.public_key_b64url
    assert VapidKeys.load(keys.private_b64url()).public_key_b64url == keys.public_key_b64url
    assert len(keys.public_key_b64url) == 87  # 65 bytes, unpadded
    for bad in ("", "not a key", "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"):
        with pytest.raises(ValueError):
            VapidKeys.load(bad)


def test_retry_after_as_seconds_or_http_date() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480) == 30
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
