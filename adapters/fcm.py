"""Firebase Cloud Messaging (HTTP v1) for the Android app: a `PushSender` for `fcm` tokens.

Auth is the service-account flow: an RS256 JWT assertion signed with the account's key is
exchanged at its `token_uri` for an OAuth2 access token (cached until shortly before expiry),
sent as a bearer to `POST <base_url>/v1/projects/<project>/messages:send`. Both URLs are
configurable; tests point them at a local server (FCM itself cannot be reached offline).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import jwt

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

FCM_BASE_URL = "https://fcm.googleapis.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_FCM_TOKEN = re.compile(r"^[A-Za-z0-9:_\-]{16,4096}$")


@dataclass(frozen=True)
class ServiceAccount:
    project_id: str
    client_email: str
    private_key: str  # PEM (RSA), as in the downloaded JSON key file
    token_uri: str = GOOGLE_TOKEN_URI

    @classmethod
    def from_json(cls, text: str) -> ServiceAccount:
        """The JSON key file a Firebase project's console hands out."""
        data = json.loads(text)
        try:
            return cls(
                project_id=str(data["project_id"]),
                client_email=str(data["client_email"]),
                private_key=str(data["private_key"]),
                token_uri=str(data.get("token_uri") or GOOGLE_TOKEN_URI),
            )
        except KeyError as missing:
            raise ValueError(f"the service account JSON lacks {missing}") from None


class _TokenUnavailable(Exception):
    def __init__(self, result: PushResult) -> None:
        super().__init__(result.detail)
        self.result = result


class FcmSender:
    def __init__(
        self,
        account: ServiceAccount,
        *,
        session: aiohttp.ClientSession | None = None,
        base_url: str = FCM_BASE_URL,
        request_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account = account
        self.send_url = f"{base_url.rstrip('/')}/v1/projects/{account.project_id}/messages:send"
        self.clock = clock
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session = session
        self._owns_session = session is None
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
        if subscription.platform != "fcm" or not _FCM_TOKEN.fullmatch(subscription.endpoint):
            raise ValueError("FcmSender needs an fcm subscription with a registration token")
        body = fcm_message(subscription.endpoint, payload, ttl=ttl, urgency=urgency, topic=topic)
        try:
            result = await self._post(body)
            if result.status == 401:  # the cached token was revoked or expired early
                self._token = None
                result = await self._post(body)
        except _TokenUnavailable as failure:
            return failure.result
        return result

    async def _post(self, body: dict[str, object]) -> PushResult:
        headers = {"Authorization": f"Bearer {await self.access_token()}"}
        try:
            async with self._client().post(
                self.send_url,
                json=body,
                headers=headers,
                allow_redirects=False,
                timeout=self._timeout,
            ) as response:
                text = (await response.content.read(2000)).decode(errors="replace")
                result = classify(response.status, response.headers.get("Retry-After"), text)
        except (aiohttp.ClientError, TimeoutError) as error:
            return network_failure(error)
        if result.outcome is PushOutcome.FAILED and "UNREGISTERED" in text:
            return PushResult(PushOutcome.GONE, result.status, None, result.detail)
        return result

    async def access_token(self) -> str:
        async with self._token_lock:
            now = self.clock()
            if self._token is None or self._token[1] - now < 60:
                self._token = await self._exchange(now)
            return self._token[0]

    def assertion(self, now: float) -> str:
        claims = {
            "iss": self.account.client_email,
            "scope": FCM_SCOPE,
            "aud": self.account.token_uri,
            "iat": int(now),
            "exp": int(now) + 3600,
        }
        return jwt.encode(claims, self.account.private_key, algorithm="RS256")

    async def _exchange(self, now: float) -> tuple[str, float]:
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": self.assertion(now),
        }
        try:
            async with self._client().post(
                self.account.token_uri, data=form, allow_redirects=False, timeout=self._timeout
            ) as response:
                text = await response.text()
                if response.status != 200:
                    result = classify(response.status, response.headers.get("Retry-After"), text)
                    if result.outcome is not PushOutcome.RETRY:
                        result = PushResult(PushOutcome.FAILED, result.status, None, text[:300])
                    raise _TokenUnavailable(result)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _TokenUnavailable(network_failure(error)) from error
        try:
            data = json.loads(text)
            return str(data["access_token"]), now + float(data.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            detail = "the token endpoint answered without an access_token"
            raise _TokenUnavailable(PushResult(PushOutcome.FAILED, 200, None, detail)) from None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None


def fcm_message(
    token: str, payload: dict[str, object], *, ttl: int, urgency: Urgency, topic: str | None
) -> dict[str, object]:
    """The v1 `message`: the payload as string `data` (FCM data values are strings), a visible
    `notification` when the payload has a title, Android TTL/priority/collapse key."""
    check_urgency(urgency)
    if ttl < 0:
        raise ValueError("ttl must not be negative")
    data = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in payload.items()
    }
    android: dict[str, object] = {
        "ttl": f"{ttl}s",
        "priority": "HIGH" if urgency == "high" else "NORMAL",
    }
    if check_topic(topic):
        android["collapse_key"] = topic
    message: dict[str, object] = {"token": token, "data": data, "android": android}
    if isinstance(payload.get("title"), str):
        message["notification"] = {"title": payload["title"], "body": str(payload.get("body", ""))}
    return {"message": message}
