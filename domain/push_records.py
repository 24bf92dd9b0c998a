"""Push records: a subscription as stored and as the dispatcher reaches it."""

from __future__ import annotations

from dataclasses import dataclass

PLATFORMS = ("web", "fcm", "apns")
LEVELS = ("all", "mentions", "none")


@dataclass(frozen=True)
class NewSubscription:
    endpoint: str  # the push service URL (web) or the device token (fcm, apns)
    platform: str = "web"
    p256dh: str = ""
    auth: str = ""


@dataclass(frozen=True)
class PushTarget:
    subscription_id: int
    user_id: int
    platform: str
    endpoint: str
    p256dh: str
    auth: str
