"""Web Push: VAPID keys (RFC 8292), payload encryption (RFC 8291 aes128gcm) and the sender.

The sender is plain aiohttp (non-blocking); `pywebpush` is not used because it blocks on
`requests`. Encryption is `http_ece`, key handling `py-vapid`/`cryptography`, the JWT PyJWT.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from adapters.push import (
    PushOutcome,
    PushResult,
    PushSubscription,
    Urgency,
    check_topic,
    check_urgency,
    classify,
    network_failure,
)
from adapters.push_endpoints import Resolver, system_resolver, validate_endpoint

MAX_JWT_LIFETIME = 24 * 3600  # RFC 8292 §2: exp no more than 24 hours ahead
# One aes128gcm record of 4096 bytes minus the 86-byte header, the padding delimiter and the tag.
MAX_PAYLOAD_BYTES = 3993


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class InvalidSubscription(ValueError):
    """The subscription's keys are not a P-256 public key and a 16-byte auth secret."""


@dataclass(frozen=True)
class VapidKeys:
    """The server's VAPID key pair (P-256). Generate once per install and keep it like the JWT
    secret: browsers bind their subscriptions to its public key."""

    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> VapidKeys:
        vapid = Vapid02()
        vapid.generate_keys()
        return cls(vapid.private_key)

    @classmethod
    def load(cls, text: str) -> VapidKeys:
        """A PEM private key, or base64url of the raw 32-byte key (or of its DER form)."""
        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                vapid = Vapid02.from_pem(text.encode())
            else:
                vapid = Vapid02.from_string(text)
        except Exception as error:  # py-vapid raises several types for a bad key
            raise ValueError(f"not a VAPID private key: {error}") from None
        if not isinstance(vapid.private_key.curve, ec.SECP256R1):
            raise ValueError("a VAPID key must be on P-256")
        return cls(vapid.private_key)

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def private_b64url(self) -> str:
        return b64url_encode(self.private_key.private_numbers().private_value.to_bytes(32, "big"))

    @property
    def public_key_b64url(self) -> str:
        """The uncompressed point, base64url: the browser's `applicationServerKey`."""
        return b64url_encode(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def token(self, audience: str, subject: str, expires_at: int) -> str:
        claims = {"aud": audience, "exp": expires_at, "sub": subject}
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers={"typ": "JWT"})


def endpoint_origin(endpoint: str) -> str:
    """The JWT audience: scheme://host[:port] of the push service (RFC 8292 §2)."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def encrypt_payload(body: bytes, p256dh: str, auth: str) -> bytes:
    """RFC 8291: a fresh sender key per message, ECDH with the browser's key, aes128gcm."""
    if len(body) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a push payload is at most {MAX_PAYLOAD_BYTES} bytes")
    try:
        receiver = b64url_decode(p256dh)
        secret = b64url_decode(auth)
    except ValueError:
        raise InvalidSubscription("the subscription keys are not base64url") from None
    if len(receiver) != 65 or receiver[0] != 4 or len(secret) != 16:
        raise InvalidSubscription("p256dh must be a P-256 point and auth 16 bytes")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), receiver)
    except ValueError:
        raise InvalidSubscription("p256dh is not a point on P-256") from None
    sender_key = ec.generate_private_key(ec.SECP256R1())
    encrypted: bytes = http_ece.encrypt(
        body, private_key=sender_key, dh=receiver, auth_secret=secret, version="aes128gcm"
    )
    return encrypted


class WebPushSender:
    """`PushSender` for browser subscriptions (RFC 8030 + 8291 + 8292) over aiohttp."""

    def __init__(
        self,
        keys: VapidKeys,
        contact: str,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 10.0,
        allow_http: bool = False,
        allow_private: bool | None = None,
        resolver: Resolver = system_resolver,
        jwt_lifetime: int = 12 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not contact.startswith(("mailto:", "https:")):
            raise ValueError("the VAPID contact (sub) must be a mailto: or https: URI")
        self.keys = keys
        self.contact = contact
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.resolver = resolver
        self.jwt_lifetime = min(jwt_lifetime, MAX_JWT_LIFETIME)
        self.clock = clock
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session = session
        self._owns_session = session is None
        self._tokens: dict[str, tuple[str, int]] = {}

    async def send(
        self,
        subscription: PushSubscription,
        payload: dict[str, object],
        *,
        ttl: int,
        urgency: Urgency = "normal",
        topic: str | None = None,
    ) -> PushResult:
        if subscription.platform != "web":
            raise ValueError("WebPushSender sends to web subscriptions only")
        if ttl < 0:
            raise ValueError("ttl must not be negative")
        headers = {
            "TTL": str(ttl),
            "Urgency": check_urgency(urgency),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        if check_topic(topic):
            headers["Topic"] = str(topic)
        endpoint = await validate_endpoint(
            subscription.endpoint,
            allow_http=self.allow_http,
            allow_private=self.allow_private,
            resolver=self.resolver,
        )
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        encrypted = encrypt_payload(body, subscription.p256dh, subscription.auth)
        headers["Authorization"] = self.authorization(endpoint)
        return await self._post(endpoint, encrypted, headers)

    def authorization(self, endpoint: str) -> str:
        """`vapid t=<jwt>, k=<public key>`; one JWT per push service, renewed an hour early."""
        audience = endpoint_origin(endpoint)
        now = int(self.clock())
        cached = self._tokens.get(audience)
        if cached is None or cached[1] - now < min(3600, self.jwt_lifetime // 2):
            expires = now + self.jwt_lifetime
            cached = (self.keys.token(audience, self.contact, expires), expires)
            self._tokens[audience] = cached
        return f"vapid t={cached[0]}, k={self.keys.public_key_b64url}"

    async def _post(self, endpoint: str, body: bytes, headers: dict[str, str]) -> PushResult:
        session = self._client()
        try:
            async with session.post(
                endpoint, data=body, headers=headers, allow_redirects=False, timeout=self._timeout
            ) as response:
                detail = (await response.content.read(1000)).decode(errors="replace")
                result = classify(response.status, response.headers.get("Retry-After"), detail)
        except (aiohttp.ClientError, TimeoutError) as error:
            return network_failure(error)
        if result.outcome is PushOutcome.FAILED and 300 <= response.status < 400:
            return PushResult(PushOutcome.FAILED, response.status, None, "redirect not followed")
        return result

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
