"""What every push sender shares: the subscription, the result and the `PushSender` interface.

Web Push (`adapters.webpush`), FCM and APNs (`adapters.native_push`) all answer a send with a
`PushResult` whose `outcome` tells the caller what to do next: nothing (`delivered`), delete the
subscription (`gone`), try again after `retry_after` seconds (`retry`), or log it (`failed`).
"""

from __future__ import annotations

import enum
import hashlib
import re
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

Urgency = Literal["very-low", "low", "normal", "high"]
URGENCIES: tuple[Urgency, ...] = ("very-low", "low", "normal", "high")
Platform = Literal["web", "fcm", "apns"]


@dataclass(frozen=True)
class PushSubscription:
    """`endpoint` is the push service URL for `web`, the device token for `fcm` and `apns`;
    `p256dh` and `auth` (base64url) are the browser's keys and only used for `web`."""

    endpoint: str
    p256dh: str = ""
    auth: str = ""
    platform: Platform = "web"


class PushOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    GONE = "gone"  # the subscription no longer exists: delete it
    RETRY = "retry"  # rate limited or the service is down: try again later
    FAILED = "failed"  # refused for another reason: log it


@dataclass(frozen=True)
class PushResult:
    outcome: PushOutcome
    status: int | None = None  # None when no HTTP answer came (network error, timeout)
    retry_after: float | None = None  # seconds, when the service said so
    detail: str = ""


class PushSender(Protocol):
    async def send(
        self,
        subscription: PushSubscription,
        payload: dict[str, object],
        *,
        ttl: int,
        urgency: Urgency = "normal",
        topic: str | None = None,
    ) -> PushResult:
        """Never raises for what the service answers; raises InvalidEndpoint for a refused URL."""
        ...


def classify(status: int, retry_after: str | None = None, detail: str = "") -> PushResult:
    """RFC 8030's answers: 2xx delivered, 404/410 gone, 429/5xx later, the rest failed."""
    if 200 <= status < 300:
        outcome = PushOutcome.DELIVERED
    elif status in (404, 410):
        outcome = PushOutcome.GONE
    elif status == 429 or status >= 500:
        outcome = PushOutcome.RETRY
    else:
        outcome = PushOutcome.FAILED
    delay = parse_retry_after(retry_after) if outcome is PushOutcome.RETRY else None
    return PushResult(outcome, status, delay, detail[:300])


def network_failure(error: BaseException) -> PushResult:
    return PushResult(PushOutcome.RETRY, None, None, f"{type(error).__name__}: {error}"[:300])


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def check_topic(topic: str | None) -> str | None:
    """RFC 8030 §5.4: at most 32 characters of the base64url alphabet."""
    if topic is not None and not _TOPIC.fullmatch(topic):
        raise ValueError("a push Topic is 1-32 characters of [A-Za-z0-9_-]")
    return topic


def topic_for(key: str) -> str:
    """A valid Topic for any collapse key (e.g. "group:12"): a base64url digest, 32 characters.
    Push services see only the digest, never the key."""
    return urlsafe_b64encode(hashlib.sha256(key.encode()).digest()).decode()[:32]


def check_urgency(urgency: str) -> Urgency:
    for known in URGENCIES:
        if urgency == known:
            return known
    raise ValueError(f"urgency must be one of {URGENCIES}")
