"""Composition root: the only place that wires transports, services and storage together
(with wiring/services.py and wiring/realtime.py). `create_app` is the entry."""

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
    account_lifecycle,
    accounts,
    chat,
    directory,
    group_sessions,
    groups,
    health,
    matching,
    moderation,
    notifications,
    openapi,
    progress,
    push,
    search,
    uploads,
    users,
)
from api.addresses import client_address
from api.errors import error_middleware
from api.observability import metrics_handler, observability_middleware
from api.routing import ENDPOINTS
from api.security import security_middleware
from settings import Settings
from storage.engine import create_engine, ping
from storage.kv import RedisChangeFeed
from storage.migrate import database_revision, head_revision, upgrade
from storage.uow import unit_of_work_factory
from wiring.keys import (
    CHANGE_FEED,
    DATABASE_PING,
    ENGINE,
    METRIC_FAMILIES,
    METRICS,
    MIGRATIONS_CURRENT,
    OVERRIDES,
    REDIS,
    SETTINGS,
    UOW,
)
from wiring.mail import mail_context
from wiring.metrics import Metrics
from wiring.realtime import attach_socket_server, realtime_context
from wiring.safety import safety_context
from wiring.services import matching_context, services_context
from wiring.uploads import uploads_context

log = logging.getLogger("studysync.app")
WEB_DIR = Path(__file__).resolve().parent / "web"
ROUTE_TABLES = [
    health.routes,
    openapi.routes,
    accounts.routes,
    moderation.routes,  # before users: /api/users/blocked is not /api/users/{user_id}
    push.routes,
    account_lifecycle.routes,
    users.routes,
    notifications.routes,
    matching.routes,
    groups.routes,
    chat.routes,
    search.routes,
    directory.routes,
    group_sessions.routes,
    progress.routes,
    uploads.routes,
]


def create_app(
    settings: Settings, *, overrides: Mapping[str, Any] | None = None
) -> web.Application:
    """Build the application. `overrides` lets tests swap parts (e.g. {"migrate": True})."""
    # This app's own registry (tests build several apps in one process).
    metrics = Metrics(CollectorRegistry())
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            observability_middleware(metrics),
            security_middleware(settings.cors_origins),
            error_middleware,
        ],
    )
    app[SETTINGS] = settings
    app[METRICS] = metrics.registry
    app[METRIC_FAMILIES] = metrics
    app[ENDPOINTS] = []
    app[OVERRIDES] = dict(overrides or {})
    # Each resource opens in this order at start-up and closes in reverse at shutdown.
    app.cleanup_ctx.extend(
        [
            _storage,
            _redis,
            mail_context,
            services_context,
            matching_context,
            realtime_context,
            safety_context,
        ]
    )
    app.cleanup_ctx.append(uploads_context)
    for table in ROUTE_TABLES:
        table.install(app)
    app.router.add_get("/metrics", metrics_handler)
    attach_socket_server(app, client_address)
    _serve_browser_client(app)
    return app


async def _storage(app: web.Application) -> AsyncIterator[None]:
    engine = create_engine(app[SETTINGS].database_url)
    if app[OVERRIDES].get("migrate", False):
        await upgrade(engine)
    app[ENGINE] = engine
    app[UOW] = unit_of_work_factory(engine, app[METRIC_FAMILIES].db_seconds.observe)
    app[DATABASE_PING] = lambda: ping(engine)
    head = head_revision()

    async def migrations_current() -> bool:
        return await database_revision(engine) == head

    app[MIGRATIONS_CURRENT] = migrations_current
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


def _serve_browser_client(app: web.Application) -> None:
    index = WEB_DIR / "index.html"
    if not index.exists():
        return

    async def browser_client(request: web.Request) -> web.FileResponse:
        return web.FileResponse(index)

    app.router.add_get("/", browser_client)
    app.router.add_static("/static/", WEB_DIR, show_index=False)
