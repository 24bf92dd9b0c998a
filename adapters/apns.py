"""Apple Push Notification service for the iOS app: a `PushSender` for `apns` device tokens.

Token-based auth (an ES256 JWT with the key id and team id, renewed every 40 minutes: Apple
refuses tokens older than an hour and renewals more often than every 20 minutes), HTTP/2 only,
so it needs `httpx[http2]` (the `native-push` extra). The base URL is configurable; tests use a
local HTTP/2 server (APNs itself cannot be reached offline).
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import jwt

from adapters.push import (
    PushOutcome,
    PushResult,
    PushSubscription,
    Urgency,
    check_urgency,
    classify,
    network_failure,
)

APNS_PRODUCTION = "https://api.push.apple.com"
APNS_SANDBOX = "https://api.sandbox.push.apple.com"
TOKEN_REFRESH_SECONDS = 40 * 60
_DEVICE_TOKEN = re.compile(r"^[0-9a-fA-F]{32,200}$")
# Answers meaning this device token will never work again: delete the subscription.
_GONE_REASONS = {"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"}


@dataclass(frozen=True)
class ApnsKey:
    key_id: str
    team_id: str
    private_key: str  # the .p8 file's PEM (P-256)


class ApnsSender:
    def __init__(
        self,
        key: ApnsKey,
        bundle_id: str,
        *,
        base_url: str = APNS_PRODUCTION,
        client: httpx.AsyncClient | None = None,
        verify: ssl.SSLContext | bool = True,
        request_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.bundle_id = bundle_id
        self.clock = clock
        self._client = client or httpx.AsyncClient(
            http2=True, base_url=base_url, verify=verify, timeout=request_timeout
        )
        self._owns_client = client is None
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    async def send(
        self,
        subscription: PushSubscription,
        payload: dict[str, object],
        *,
        ttl: int,
        urgency: Urgency = "normal",
        topic: str | None = None,
    ) -> PushResult:
        if subscription.platform != "apns" or not _DEVICE_TOKEN.fullmatch(subscription.endpoint):
            raise ValueError("ApnsSender needs an apns subscription with a hex device token")
        request = self.build_request(
            subscription.endpoint, payload, ttl=ttl, urgency=urgency, topic=topic
        )
        result = await self._post(request)
        if result.detail == "ExpiredProviderToken":
            self._token = None
            result = await self._post(request)
        return result

    def build_request(
        self,
        device_token: str,
        payload: dict[str, object],
        *,
        ttl: int,
        urgency: Urgency,
        topic: str | None,
    ) -> tuple[str, dict[str, str], bytes]:
        """Path, headers (without authorization) and JSON body of one notification."""
        check_urgency(urgency)
        if ttl < 0:
            raise ValueError("ttl must not be negative")
        headers = {
            "apns-topic": self.bundle_id,
            "apns-push-type": "alert",
            # 10 = deliver now; 5 = may be delayed to save the device's battery.
            "apns-priority": "10" if urgency in ("high", "normal") else "5",
            "apns-expiration": str(int(self.clock()) + ttl if ttl else 0),
        }
        if topic is not None:
            if not 0 < len(topic.encode()) <= 64:
                raise ValueError("apns-collapse-id is 1-64 bytes")
            headers["apns-collapse-id"] = topic
        alert = {"title": str(payload.get("title", "")), "body": str(payload.get("body", ""))}
        body = {"aps": {"alert": alert, "sound": "default"}, "studysync": payload}
        return f"/3/device/{device_token}", headers, json.dumps(body).encode()

    async def _post(self, request: tuple[str, dict[str, str], bytes]) -> PushResult:
        path, headers, body = request
        headers = {**headers, "authorization": f"bearer {await self.provider_token()}"}
        try:
            response = await self._client.post(path, content=body, headers=headers)
        except httpx.HTTPError as error:
            return network_failure(error)
        reason = _reason(response)
        result = classify(response.status_code, response.headers.get("retry-after"), reason)
        if result.outcome is PushOutcome.FAILED and reason in _GONE_REASONS:
            return PushResult(PushOutcome.GONE, result.status, None, reason)
        return result

    async def provider_token(self) -> str:
        async with self._token_lock:
            now = self.clock()
            if self._token is None or now - self._token[1] >= TOKEN_REFRESH_SECONDS:
                token = jwt.encode(
                    {"iss": self.key.team_id, "iat": int(now)},
                    self.key.private_key,
                    algorithm="ES256",
                    headers={"kid": self.key.key_id},
                )
                self._token = (token, now)
            return self._token[0]

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _reason(response: httpx.Response) -> str:
    if not response.content:
        return ""
    try:
        return str(json.loads(response.content).get("reason", ""))
    except (ValueError, AttributeError):
        return response.text[:300]
