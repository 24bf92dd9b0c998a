"""The root's moderation and push part (issue 17): the moderation and push services, the push
senders chosen by `[push]`, and the dispatcher subscribed to the bus. Opens after the realtime
part (it reads the presence store) and closes before it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from prometheus_client import Counter

from adapters.apns import _DEVICE_TOKEN, ApnsKey, ApnsSender
from adapters.fcm import _FCM_TOKEN, FcmSender, ServiceAccount
from adapters.push import PushSender
from adapters.push_endpoints import InvalidEndpoint, validate_endpoint
from adapters.webpush import InvalidSubscription, VapidKeys, WebPushSender, encrypt_payload
from domain.errors import InvalidInput
from domain.moderation import ModerationService
from domain.push import EndpointCheck, PushService
from domain.push_records import NewSubscription
from realtime.push_dispatcher import PushDispatcher, subscribe_push
from settings import PROJECT_DIR, PushSettings
from wiring.keys import (
    METRICS,
    MODERATION,
    PRESENCE,
    PUBLISHER,
    PUSH,
    PUSH_DRAIN,
    SETTINGS,
    UOW,
    VAPID_PUBLIC_KEY,
)

log = logging.getLogger("studysync.push")


def push_sent_counter(registry: object) -> Counter:
    """`studysync_push_sent_total{result}`: sent, gone, retry, failed, dropped."""
    return Counter(
        "studysync_push_sent",
        "Pushes by result: sent, gone (subscription deleted), retry, failed, dropped",
        ["result"],
        registry=registry,  # type: ignore[arg-type]
    )


def vapid_keys(push: PushSettings) -> VapidKeys:
    if push.vapid_private_key:
        return VapidKeys.load(push.vapid_private_key)
    # server.py resolves the install's key before starting; an app built directly (tests)
    # gets one for its lifetime only.
    log.warning("no VAPID key configured: using a temporary one (subscriptions will not last)")
    return VapidKeys.generate()


def endpoint_check(push: PushSettings) -> EndpointCheck:
    async def check(new: NewSubscription) -> None:
        if new.platform == "web":
            try:
                await validate_endpoint(new.endpoint, allow_http=push.allow_http_endpoints)
                encrypt_payload(b"{}", new.p256dh, new.auth)  # the keys must be usable
            except InvalidEndpoint as refused:
                details = {"endpoint": refused.reason}
                raise InvalidInput("This push endpoint is refused", details) from None
            except InvalidSubscription as bad:
                details = {"keys": str(bad)}
                raise InvalidInput("The subscription keys are invalid", details) from None
        elif new.platform == "fcm" and not _FCM_TOKEN.fullmatch(new.endpoint):
            raise InvalidInput("Not an FCM registration token", {"endpoint": "bad token"})
        elif new.platform == "apns" and not _DEVICE_TOKEN.fullmatch(new.endpoint):
            raise InvalidInput("Not an APNs device token", {"endpoint": "hex token expected"})

    return check


def _file(path: str) -> str:
    found = Path(path)
    return (found if found.is_absolute() else PROJECT_DIR / found).read_text()


def senders(push: PushSettings, keys: VapidKeys) -> dict[str, PushSender]:
    """Web Push always; FCM and APNs when configured (never exercised against the real
    services from here: tests use local servers speaking their HTTP APIs)."""
    chosen: dict[str, PushSender] = {
        "web": WebPushSender(keys, push.vapid_contact, allow_http=push.allow_http_endpoints)
    }
    if push.fcm_service_account_file:
        account = ServiceAccount.from_json(_file(push.fcm_service_account_file))
        chosen["fcm"] = FcmSender(account, base_url=push.fcm_base_url)
    if push.apns_key_file:
        key = ApnsKey(push.apns_key_id, push.apns_team_id, _file(push.apns_key_file))
        chosen["apns"] = ApnsSender(key, push.apns_topic, base_url=push.apns_base_url)
    return chosen


async def safety_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    push = settings.push
    bus = app[PUBLISHER]
    app[MODERATION] = ModerationService(app[UOW], bus, settings.accounts.admins)
    service = PushService(app[UOW], endpoint_check(push))
    app[PUSH] = service
    keys = vapid_keys(push)
    app[VAPID_PUBLIC_KEY] = keys.public_key_b64url
    dispatcher = PushDispatcher(
        service,
        app[PRESENCE],
        senders(push, keys),
        workers=push.workers,
        maxsize=push.queue_size,
        ttl=push.ttl_seconds,
        counter=push_sent_counter(app[METRICS]),
    )
    app[PUSH_DRAIN] = dispatcher.drain
    subscribe_push(bus.subscribe, dispatcher)
    await dispatcher.start()
    yield
    await dispatcher.close()
