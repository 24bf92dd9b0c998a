"""Composition root: the only module that wires transports, services and storage together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from prometheus_client import CollectorRegistry

from api import (
    accounts,
    chat,
    group_sessions,
    groups,
    health,
    matching,
    notifications,
    openapi,
    progress,
    users,
)
from api.addresses import client_address
from api.errors import error_middleware
from api.observability import HttpMetrics, metrics_handler, observability_middleware
from api.security import security_middleware
from domain.bulkhead import KeyedBulkhead
from domain.bus import EventBus
from domain.chat import ChatService
from domain.errors import DomainError
from domain.group_sessions import GroupSessionService
from domain.groups import GroupService
from domain.hashing import HashQueue
from domain.matching import MatchingService
from domain.notifications import NotificationService
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
from realtime.server import attach_socketio
from settings import Settings
from storage.engine import create_engine, ping
from storage.kv import RedisChangeFeed, RedisWindowCounter
from storage.migrate import upgrade
from storage.uow import unit_of_work_factory
from wiring.keys import (
    CHANGE_FEED,
    CHAT,
    DATABASE_PING,
    ENDPOINTS,
    ENGINE,
    GROUP_SESSIONS,
    GROUPS,
    MATCHING,
    METRICS,
    MODEL_STATE,
    NOTIFICATIONS,
    OVERRIDES,
    POSTS,
    PROGRESS,
    PUBLISHER,
    REDIS,
    SETTINGS,
    STATS,
    UOW,
    USERS,
)

log = logging.getLogger("studysync.app")
WEB_DIR = Path(__file__).resolve().parent / "web"
ROUTE_TABLES = [
    health.routes,
    openapi.routes,
    accounts.routes,
    users.routes,
    notifications.routes,
    matching.routes,
    groups.routes,
    chat.routes,
    group_sessions.routes,
    progress.routes,
]


def create_app(
    settings: Settings, *, overrides: Mapping[str, Any] | None = None
) -> web.Application:
    """Build the application. `overrides` lets tests swap parts (e.g. {"migrate": True})."""
    registry = CollectorRegistry()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            observability_middleware(HttpMetrics(registry)),
            security_middleware(settings.cors_origins),
            error_middleware,
        ],
    )
    app[SETTINGS] = settings
    app[METRICS] = registry
    app[ENDPOINTS] = []
    app[OVERRIDES] = dict(overrides or {})
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_redis)
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(_matching)
    for table in ROUTE_TABLES:
        table.install(app)
    app.router.add_get("/metrics", metrics_handler)
    attach_socketio(app, client_address)
    _serve_browser_client(app)
    return app


async def _storage(app: web.Application) -> AsyncIterator[None]:
    engine = create_engine(app[SETTINGS].database_url)
    if app[OVERRIDES].get("migrate", False):
        await upgrade(engine)
    app[ENGINE] = engine
    app[UOW] = unit_of_work_factory(engine)
    app[DATABASE_PING] = lambda: ping(engine)
    yield
    await engine.dispose()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.redis_url:
        app[REDIS] = app[CHANGE_FEED] = None
        yield
        return
    client = aioredis.Redis.from_pool(_redis_pool(settings.redis_url))
    app[REDIS] = client
    feed = RedisChangeFeed(client, f"{settings.redis_prefix}:changes")
    app[CHANGE_FEED] = feed
    listener = asyncio.create_task(feed.listen())
    yield
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)
    await client.aclose()


REDIS_CONNECTIONS = 100  # per worker
REDIS_WAIT_SECONDS = 5.0


def _redis_pool(url: str) -> aioredis.BlockingConnectionPool:
    """A burst waits for a free connection instead of failing with "Too many connections":
    a limit must not mistake a busy pool for Redis being down and fall back to per-worker
    counting (300 sends fired at once over two workers got 2 x the limit through)."""
    return aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_CONNECTIONS,
        timeout=REDIS_WAIT_SECONDS,
        health_check_interval=10,
    )


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    throttle = settings.login_throttle
    failures = _window_counter(app, "throttle", throttle.window_seconds)
    bus = EventBus()
    hashing = HashQueue(settings.auth.hash_concurrency, settings.auth.hash_queue)
    app[PUBLISHER] = bus
    app[USERS] = UserService(
        app[UOW],
        app[OVERRIDES].get("hasher") or PasswordHasher(settings.bcrypt_rounds, hashing),
        TokenIssuer(settings.jwt_secret, settings.jwt_expiry_hours * 3600),
        failures,
        LoginLimits(throttle.max_failures, throttle.window_seconds),
        app[PUBLISHER],
        settings.email_domain_suffix,
        RevokedTokenCache(),
        settings.accounts.admins,
    )
    pruning = asyncio.create_task(_prune_revoked_tokens(app[USERS]))
    app[NOTIFICATIONS] = NotificationService(app[UOW])
    app[GROUPS] = GroupService(app[UOW], bus)
    clock = app[OVERRIDES].get("clock") or utc_now
    app[POSTS] = PostService(app[UOW], bus, clock)
    app[PROGRESS] = ProgressService(app[UOW], bus, app[POSTS], clock)
    app[STATS] = StatsService(app[UOW], clock)
    app[GROUP_SESSIONS] = GroupSessionService(app[UOW], bus, app[OVERRIDES].get("clock"))
    app[CHAT] = ChatService(
        app[UOW],
        bus,
        _window_counter(app, "sends", 60),
        settings.chat.send_rate_per_minute,
        settings.chat.max_content_chars,
        KeyedBulkhead(
            settings.chat.history_reads_per_user,
            settings.chat.history_queue_per_user,
            "history reads",
        ),
    )
    yield
    pruning.cancel()
    await asyncio.gather(pruning, return_exceptions=True)
    hashing.close()


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
    client = app[REDIS]
    if client is None:
        return MemoryWindowCounter(window_seconds)
    return RedisWindowCounter(client, f"{app[SETTINGS].redis_prefix}:{name}", window_seconds)


def _embedder(app: web.Application) -> Embedder | HashingEmbedder:
    chosen = app[OVERRIDES].get("embedder")
    if chosen is not None:
        return chosen
    config = app[SETTINGS].matching
    return HashingEmbedder() if config.embedder == "hashing" else Embedder(config.model)


async def _matching(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    config = settings.matching
    weights = Weights(
        config.weight_subjects,
        config.weight_schedule,
        config.weight_style,
        config.weight_performance,
        config.threshold,
    )
    embedder = _embedder(app)
    service = MatchingService(app[UOW], embedder, weights, config.model_wait_seconds)
    app[MATCHING] = service
    app[MODEL_STATE] = lambda: (embedder.name, embedder.state)
    app[PUBLISHER].subscribe(service.handle_event)
    feed = app[CHANGE_FEED]
    if feed is not None:
        service.announce = feed.publish
        feed.subscribe(service.handle_remote_change)
    await service.start()
    yield
    await service.close()
    embedder.close()


def _serve_browser_client(app: web.Application) -> None:
    index = WEB_DIR / "index.html"
    if not index.exists():
        return

    async def browser_client(request: web.Request) -> web.FileResponse:
        return web.FileResponse(index)

    app.router.add_get("/", browser_client)
    app.router.add_static("/static/", WEB_DIR, show_index=False)
