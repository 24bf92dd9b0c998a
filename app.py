"""Composition root: the only module that wires transports, services and storage together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from prometheus_client import CollectorRegistry

from api import accounts, health, notifications, openapi, users
from api.errors import error_middleware
from api.keys import (
    DATABASE_PING,
    ENDPOINTS,
    ENGINE,
    METRICS,
    MODEL_STATE,
    NOTIFICATIONS,
    OVERRIDES,
    PUBLISHER,
    REDIS,
    SETTINGS,
    UOW,
    USERS,
)
from api.observability import HttpMetrics, metrics_handler, observability_middleware
from api.security import security_middleware
from domain.bus import EventBus
from domain.notifications import NotificationService
from domain.revocation import MemoryRevocationList
from domain.security import PasswordHasher, TokenIssuer
from domain.throttle import MemoryFailureCounter
from domain.users import LoginLimits, UserService
from settings import Settings
from storage.engine import create_engine, ping
from storage.kv import RedisFailureCounter, RedisRevocationList
from storage.migrate import upgrade
from storage.uow import unit_of_work_factory

WEB_DIR = Path(__file__).resolve().parent / "web"
ROUTE_TABLES = [
    health.routes,
    openapi.routes,
    accounts.routes,
    users.routes,
    notifications.routes,
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
    app[MODEL_STATE] = lambda: (settings.matching.model or "all-MiniLM-L6-v2", "loading")
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_redis)
    app.cleanup_ctx.append(_services)
    for table in ROUTE_TABLES:
        table.install(app)
    app.router.add_get("/metrics", metrics_handler)
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
    url = app[SETTINGS].redis_url
    app[REDIS] = aioredis.from_url(url, health_check_interval=10) if url else None
    yield
    if app[REDIS] is not None:
        await app[REDIS].aclose()


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    throttle = settings.login_throttle
    failures = (
        RedisFailureCounter(
            app[REDIS], f"{settings.redis_prefix}:throttle", throttle.window_seconds
        )
        if app[REDIS] is not None
        else MemoryFailureCounter(throttle.window_seconds)
    )
    bus = EventBus()
    revoked = (
        RedisRevocationList(app[REDIS], f"{settings.redis_prefix}:revoked")
        if app[REDIS] is not None
        else MemoryRevocationList()
    )
    app[PUBLISHER] = bus
    app[USERS] = UserService(
        app[UOW],
        PasswordHasher(settings.bcrypt_rounds),
        TokenIssuer(settings.jwt_secret, settings.jwt_expiry_hours * 3600),
        failures,
        LoginLimits(throttle.max_failures, throttle.window_seconds),
        app[PUBLISHER],
        settings.email_domain_suffix,
        revoked,
    )
    app[NOTIFICATIONS] = NotificationService(app[UOW])
    yield


def _serve_browser_client(app: web.Application) -> None:
    index = WEB_DIR / "index.html"
    if not index.exists():
        return

    async def browser_client(request: web.Request) -> web.FileResponse:
        return web.FileResponse(index)

    app.router.add_get("/", browser_client)
    app.router.add_static("/static/", WEB_DIR, show_index=False)
