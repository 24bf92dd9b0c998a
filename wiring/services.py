"""The root's services part: every domain service, built once at start-up with its
collaborators, and the matching index subscribed to the events it follows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from domain.bulkhead import KeyedBulkhead
from domain.bus import EventBus
from domain.chat import ChatService
from domain.errors import DomainError
from domain.events import MemberRequested, MembershipChanged, ProfileChanged
from domain.group_sessions import GroupSessionService
from domain.groups import GroupService
from domain.hashing import HashQueue
from domain.matching import MatchingService
from domain.matching_index import nobody_excluded
from domain.notifications import NotificationService
from domain.pins import PinService
from domain.posts import PostService
from domain.progress import ProgressService
from domain.progress_records import utc_now
from domain.revocation import RevokedTokenCache
from domain.security import PasswordHasher, TokenIssuer
from domain.stats import StatsService
from domain.throttle import MemoryWindowCounter
from domain.users import LoginLimits, UserService
from matching.embedder import Embedder, HashingEmbedder
from matching.scoring import Weights
from storage.kv import RedisWindowCounter
from wiring.keys import (
    CHANGE_FEED,
    CHAT,
    GROUP_SESSIONS,
    GROUPS,
    MATCHING,
    MODEL_STATE,
    NOTIFICATIONS,
    OVERRIDES,
    PINS,
    POSTS,
    PROGRESS,
    PUBLISHER,
    REDIS,
    SERVICES,
    SETTINGS,
    STATS,
    UOW,
    USERS,
    Services,
)

log = logging.getLogger("studysync.app")


async def services_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    throttle = settings.login_throttle
    bus = EventBus()
    hashing = HashQueue(settings.auth.hash_concurrency, settings.auth.hash_queue)
    uow = app[UOW]
    clock = app[OVERRIDES].get("clock") or utc_now
    users = UserService(
        uow,
        app[OVERRIDES].get("hasher") or PasswordHasher(settings.bcrypt_rounds, hashing),
        TokenIssuer(settings.jwt_secret, settings.jwt_expiry_hours * 3600),
        _window_counter(app, "throttle", throttle.window_seconds),
        LoginLimits(throttle.max_failures, throttle.window_seconds),
        bus,
        settings.email_domain_suffix,
        RevokedTokenCache(),
        settings.accounts.admins,
    )
    posts = PostService(uow, bus, clock)
    chat = ChatService(
        uow,
        bus,
        _window_counter(app, "sends", 60),
        settings.chat.send_rate_per_minute,
        settings.chat.max_content_chars,
        KeyedBulkhead(
            settings.chat.history_reads_per_user,
            settings.chat.history_queue_per_user,
            "history reads",
        ),
        mention_filter=None,  # domain/threads.py MentionFilter: who of the mentioned hears of it
    )
    services = Services(
        uow=uow,
        bus=bus,
        users=users,
        notifications=NotificationService(uow),
        groups=GroupService(uow, bus),
        posts=posts,
        progress=ProgressService(uow, bus, posts, clock),
        stats=StatsService(uow, clock),
        sessions=GroupSessionService(uow, bus, app[OVERRIDES].get("clock")),
        chat=chat,
    )
    _install(app, services)
    app[PINS] = PinService(uow, bus)
    pruning = asyncio.create_task(_prune_revoked_tokens(users))
    yield
    pruning.cancel()
    await asyncio.gather(pruning, return_exceptions=True)
    hashing.close()


def _install(app: web.Application, services: Services) -> None:
    app[SERVICES] = services
    app[PUBLISHER] = services.bus
    app[USERS] = services.users
    app[NOTIFICATIONS] = services.notifications
    app[GROUPS] = services.groups
    app[POSTS] = services.posts
    app[PROGRESS] = services.progress
    app[STATS] = services.stats
    app[GROUP_SESSIONS] = services.sessions
    app[CHAT] = services.chat


async def _prune_revoked_tokens(users: UserService, every_seconds: float = 3600) -> None:
    """At start-up and then hourly, forget logged-out tokens that have expired anyway."""
    while True:
        try:
            await users.prune_revoked_tokens()
        except DomainError as error:  # the database is down: try again next time
            log.warning("pruning revoked tokens failed: %s", error.message)
        await asyncio.sleep(every_seconds)


def _window_counter(
    app: web.Application, name: str, window_seconds: float
) -> RedisWindowCounter | MemoryWindowCounter:
    """Shared by all workers through Redis when there is one."""
    redis = app[REDIS]
    if redis is None:
        return MemoryWindowCounter(window_seconds)
    return RedisWindowCounter(redis, f"{app[SETTINGS].redis_prefix}:{name}", window_seconds)


def _embedder(app: web.Application) -> Embedder | HashingEmbedder:
    chosen = app[OVERRIDES].get("embedder")
    if chosen is not None:
        return chosen
    config = app[SETTINGS].matching
    return HashingEmbedder() if config.embedder == "hashing" else Embedder(config.model)


async def matching_context(app: web.Application) -> AsyncIterator[None]:
    config = app[SETTINGS].matching
    weights = Weights(
        config.weight_subjects,
        config.weight_schedule,
        config.weight_style,
        config.weight_performance,
        config.threshold,
        goals=config.weight_goals,
    )
    embedder = _embedder(app)
    bus = app[PUBLISHER]
    service = MatchingService(
        app[UOW],
        embedder,
        weights,
        config.model_wait_seconds,
        # Who a user must never be shown (blocks, either way): user id -> frozenset of ids.
        excluded_ids=app[OVERRIDES].get("excluded_ids") or nobody_excluded,
        publisher=bus,
        dismiss_days=config.dismiss_days,
    )
    app[MATCHING] = service
    app[MODEL_STATE] = lambda: (embedder.name, embedder.state)
    bus.subscribe(ProfileChanged, service.on_profile_changed)
    bus.subscribe(MembershipChanged, service.on_membership_changed)
    bus.subscribe(MemberRequested, service.on_member_requested)
    feed = app[CHANGE_FEED]
    if feed is not None:
        service.announce = feed.publish
        feed.subscribe(service.handle_remote_change)
    await service.start()
    yield
    await service.close()
    embedder.close()
