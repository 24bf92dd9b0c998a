"""FCM and APNs against local servers speaking their HTTP APIs (the real ones are not reachable).

FCM: one aiohttp server plays both Google's OAuth token endpoint and the v1 send endpoint.
APNs: hypercorn serves a tiny ASGI app over TLS + HTTP/2 (APNs speaks nothing else).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypercorn.asyncio import serve
from hypercorn.config import Config

from adapters.apns import ApnsKey, ApnsSender
from adapters.fcm import FCM_SCOPE, FcmSender, ServiceAccount
from adapters.push import PushOutcome, PushSubscription
from tests.adapters.certs import make_self_signed

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
FCM_TOKEN = "fcm-token:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"
DEVICE = "a1" * 32


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class FakeGoogle:
    key: rsa.RSAPrivateKey
    server: TestServer | None = None
    assertions: list[dict[str, Any]] = field(default_factory=list)
    sends: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    token_status: int = 200
    send_answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    issued: int = 0

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        audience = str(request.url.with_query(None))
        claims = jwt.decode(
            str(form["assertion"]), self.key.public_key(), algorithms=["RS256"], audience=audience
        )
        self.assertions.append(claims)
        if self.token_status != 200:
            return web.json_response({"error": "invalid_grant"}, status=self.token_status)
        self.issued += 1
        return web.json_response({"access_token": f"ya29.t{self.issued}", "expires_in": 3599})

    async def send(self, request: web.Request) -> web.Response:
        self.sends.append((request.headers["Authorization"], await request.json()))
        status, body = self.send_answers.pop(0) if self.send_answers else (200, {"name": "m/1"})
        return web.json_response(body, status=status)


@pytest.fixture
async def google(aiohttp_server: ServerFactory) -> FakeGoogle:
    fake = FakeGoogle(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    app = web.Application()
    app.router.add_post("/token", fake.token)
    app.router.add_post("/v1/projects/studysync-test/messages:send", fake.send)
    fake.server = await aiohttp_server(app)
    return fake


@pytest.fixture
async def fcm(google: FakeGoogle) -> AsyncIterator[FcmSender]:
    assert google.server is not None
    account = ServiceAccount.from_json(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "studysync-test",
                "client_email": "push@studysync-test.iam.gserviceaccount.com",
                "private_key": pem(google.key),
                "token_uri": str(google.server.make_url("/token")),
            }
        )
    )
    sender = FcmSender(account, base_url=str(google.server.make_url("/")))
    yield sender
    await sender.close()


FCM_SUB = PushSubscription(FCM_TOKEN, platform="fcm")
PAYLOAD: dict[str, object] = {"type": "mention", "groupId": 3, "title": "Physics", "body": "@ada?"}


async def test_fcm_exchanges_a_service_account_jwt_and_sends_v1(
    fcm: FcmSender, google: FakeGoogle
) -> None:
    result = await fcm.send(FCM_SUB, PAYLOAD, ttl=600, urgency="high", topic="g3")
    second = await fcm.send(FCM_SUB, PAYLOAD, ttl=600)
    assert result.outcome is second.outcome is PushOutcome.DELIVERED

    [claims] = google.assertions  # the access token is cached for the second send
    assert claims["iss"] == "push@studysync-test.iam.gserviceaccount.com"
    assert claims["scope"] == FCM_SCOPE
    assert claims["exp"] - claims["iat"] <= 3600
    [(bearer, body), _] = google.sends
    assert bearer == "Bearer ya29.t1"
    message = body["message"]
    assert message["token"] == FCM_TOKEN
    assert message["data"] == {
        "type": "mention",
        "groupId": "3",
        "title": "Physics",
        "body": "@ada?",
    }
    assert message["notification"] == {"title": "Physics", "body": "@ada?"}
    assert message["android"] == {"ttl": "600s", "priority": "HIGH", "collapse_key": "g3"}


async def test_fcm_unregistered_token_is_gone(fcm: FcmSender, google: FakeGoogle) -> None:
    unregistered = {
        "error": {"code": 404, "status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}
    }
    google.send_answers = [(404, unregistered)]
    assert (await fcm.send(FCM_SUB, PAYLOAD, ttl=60)).outcome is PushOutcome.GONE


async def test_fcm_refreshes_a_rejected_access_token_once(
    fcm: FcmSender, google: FakeGoogle
) -> None:
    google.send_answers = [(401, {"error": {"status": "UNAUTHENTICATED"}})]
    result = await fcm.send(FCM_SUB, PAYLOAD, ttl=60)
    assert result.outcome is PushOutcome.DELIVERED
    assert [bearer for bearer, _ in google.sends] == ["Bearer ya29.t1", "Bearer ya29.t2"]


async def test_fcm_token_endpoint_failures(fcm: FcmSender, google: FakeGoogle) -> None:
    google.token_status = 400
    assert (await fcm.send(FCM_SUB, PAYLOAD, ttl=60)).outcome is PushOutcome.FAILED
    google.token_status = 503
    assert (await fcm.send(FCM_SUB, PAYLOAD, ttl=60)).outcome is PushOutcome.RETRY
    assert google.sends == []
    with pytest.raises(ValueError):
        await fcm.send(PushSubscription("bad token/../x", platform="fcm"), PAYLOAD, ttl=60)


# --- APNs over HTTP/2 -------------------------------------------------------------------------


@dataclass
class FakeApple:
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append(
            {
                "version": scope["http_version"],
                "path": scope["path"],
                "headers": headers,
                "body": json.loads(body),
            }
        )
        status, answer = self.answers.pop(0) if self.answers else (200, {})
        payload = json.dumps(answer).encode() if answer else b""
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"apns-id", b"1")]}
        )
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture
async def apple(tmp_path: Path) -> AsyncIterator[tuple[FakeApple, str, Any]]:
    cert = make_self_signed(tmp_path)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns and closes the socket
    config.certfile, config.keyfile = str(cert.cert_file), str(cert.key_file)
    config.accesslog = config.errorlog = None
    fake, stop = FakeApple(), asyncio.Event()
    task = asyncio.create_task(serve(fake, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    yield fake, f"https://127.0.0.1:{port}", cert.client_context()
    stop.set()
    await task


@pytest.fixture
def apns_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


async def test_apns_posts_over_http2_with_a_provider_token(
    apple: tuple[FakeApple, str, Any], apns_key: ec.EllipticCurvePrivateKey
) -> None:
    fake, url, verify = apple
    sender = ApnsSender(
        ApnsKey("KEY123ABCD", "TEAM456XYZ", pem(apns_key)),
        "edu.studysync.app",
        base_url=url,
        verify=verify,
    )
    try:
        result = await sender.send(
            PushSubscription(DEVICE, platform="apns"),
            PAYLOAD,
            ttl=300,
            urgency="high",
            topic="group-3",
        )
        fake.answers = [
            (410, {"reason": "Unregistered"}),
            (400, {"reason": "BadDeviceToken"}),
            (429, {"reason": "TooManyRequests"}),
            (400, {"reason": "PayloadEmpty"}),
        ]
        outcomes = [
            (await sender.send(PushSubscription(DEVICE, platform="apns"), PAYLOAD, ttl=0)).outcome
            for _ in range(4)
        ]
    finally:
        await sender.close()
    assert result.outcome is PushOutcome.DELIVERED
    assert outcomes == [PushOutcome.GONE, PushOutcome.GONE, PushOutcome.RETRY, PushOutcome.FAILED]
    first = fake.requests[0]
    assert first["version"] == "2" and first["path"] == f"/3/device/{DEVICE}"
    headers = first["headers"]
    assert headers["apns-topic"] == "edu.studysync.app"
    assert headers["apns-push-type"] == "alert" and headers["apns-priority"] == "10"
    assert headers["apns-collapse-id"] == "group-3"
    assert 0 < int(headers["apns-expiration"]) - time.time() <= 300
    scheme, token = headers["authorization"].split(" ")
    assert scheme == "bearer"
    assert jwt.get_unverified_header(token)["kid"] == "KEY123ABCD"
    claims = jwt.decode(token, apns_key.public_key(), algorithms=["ES256"])
    assert claims["iss"] == "TEAM456XYZ" and abs(claims["iat"] - time.time()) < 60
    assert first["body"]["aps"]["alert"] == {"title": "Physics", "body": "@ada?"}
    assert first["body"]["studysync"] == PAYLOAD


async def test_apns_refuses_a_token_that_could_change_the_path(
    apns_key: ec.EllipticCurvePrivateKey,
) -> None:
    sender = ApnsSender(ApnsKey("K", "T", pem(apns_key)), "edu.studysync.app")
    try:
        for bad in ("../../3/device/x", DEVICE + "/x", "zz" * 32):
            with pytest.raises(ValueError):
                await sender.send(PushSubscription(bad, platform="apns"), PAYLOAD, ttl=0)
    finally:
        await sender.close()
