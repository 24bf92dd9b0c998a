"""Health: real states of the database, Redis and the model."""

from __future__ import annotations

import asyncio
from typing import Literal

from aiohttp import web

from api.routing import Routes, json_response
from api.schemas import SnakeOut
from settings import project_version
from wiring.keys import DATABASE_PING, MODEL_STATE, REDIS

routes = Routes("operations")
PROBE_TIMEOUT = 2.0


class HealthOut(SnakeOut):
    status: Literal["healthy", "degraded"]
    database: Literal["connected", "down"]
    redis: Literal["connected", "down", "disabled"]
    ai_model: str
    model_name: str
    version: str


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


@routes.get("/api/health", response=HealthOut, auth=False, summary="Service health")
async def health(request: web.Request) -> web.Response:
    database, redis_state = await asyncio.gather(_database_state(request), _redis_state(request))
    model_name, model_state = request.app[MODEL_STATE]()
    healthy = database == "connected" and redis_state != "down" and model_state != "failed"
    return json_response(
        {
            "status": "healthy" if healthy else "degraded",
            "database": database,
            "redis": redis_state,
            "ai_model": model_state,
            "model_name": model_name,
            "version": project_version(),
        }
    )
