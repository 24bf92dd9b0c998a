"""Health: real states of the database, Redis and the model; liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Literal

from aiohttp import web

from api.routing import Routes, json_response
from api.schemas import SnakeOut
from settings import project_version
from wiring.keys import DATABASE_PING, MIGRATIONS_CURRENT, MODEL_STATE, REDIS

routes = Routes("operations")
PROBE_TIMEOUT = 2.0


class HealthOut(SnakeOut):
    status: Literal["healthy", "degraded"]
    database: Literal["connected", "down"]
    redis: Literal["connected", "down", "disabled"]
    ai_model: str
    model_name: str
    version: str


class LiveOut(SnakeOut):
    status: Literal["alive"]


async def _database_state(request: web.Request) -> str:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await request.app[DATABASE_PING]()
        return "connected"
    except Exception:  # any failure to answer means down, whatever the driver raised
        return "down"


async def _redis_state(request: web.Request) -> str:
    client = request.app[REDIS]
    if client is None:
        return "disabled"
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await client.ping()
        return "connected"
    except Exception:
        return "down"


async def _migrations_current(request: web.Request) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            return await request.app[MIGRATIONS_CURRENT]()
    except Exception:  # a database that cannot say is not ready
        return False


async def _health_body(request: web.Request) -> dict[str, str]:
    database, redis_state = await asyncio.gather(_database_state(request), _redis_state(request))
    model_name, model_state = request.app[MODEL_STATE]()
    healthy = database == "connected" and redis_state != "down" and model_state != "failed"
    return {
        "status": "healthy" if healthy else "degraded",
        "database": database,
        "redis": redis_state,
        "ai_model": model_state,
        "model_name": model_name,
        "version": project_version(),
    }


@routes.get("/api/health", response=HealthOut, auth=False, summary="Service health")
async def health(request: web.Request) -> web.Response:
    return json_response(await _health_body(request))


@routes.get("/api/health/live", response=LiveOut, auth=False, summary="Liveness probe")
async def live(request: web.Request) -> web.Response:
    """Answers while the process serves requests: no dependency is checked."""
    return json_response({"status": "alive"})


@routes.get("/api/health/ready", response=HealthOut, auth=False, summary="Readiness probe")
async def ready(request: web.Request) -> web.Response:
    """200 when the database answers at the migrations' head and a configured Redis answers;
    else 503 with the /api/health body (the model's state does not count)."""
    body, current = await asyncio.gather(_health_body(request), _migrations_current(request))
    is_ready = body["database"] == "connected" and body["redis"] != "down" and current
    if not is_ready:
        body["status"] = "degraded"
    return json_response(body, 200 if is_ready else 503)
