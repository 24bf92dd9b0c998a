"""/metrics after real traffic, parsed with prometheus-client's own text parser: the standard
process_* and python_gc_* families are there, and a websocket session (however long it stays
open) is not an HTTP latency sample, while REST requests are."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import register

LATENCY = "studysync_http_request_seconds"
SESSION_SECONDS = 0.6


async def families(client: Any) -> dict[str, Any]:
    text = await (await client.get("/metrics")).text()
    return {family.name: family for family in text_string_to_metric_families(text)}


def latency_routes(metrics: dict[str, Any]) -> dict[str, float]:
    """route -> observed count of the HTTP latency histogram."""
    return {
        sample.labels["route"]: sample.value
        for sample in metrics[LATENCY].samples
        if sample.name == f"{LATENCY}_count"
    }


@pytest.mark.one_backend
async def test_metrics_have_standard_collectors_and_no_websocket_latency(
    client: Any, sockets: Any
) -> None:
    account = await register(client)
    socket = await sockets(account["token"])
    await asyncio.sleep(SESSION_SECONDS)
    await socket.close()
    await client.get("/api/health/live")
    await asyncio.sleep(0.1)  # the session's handler returns after the close

    metrics = await families(client)
    assert {"process_cpu_seconds", "process_resident_memory_bytes"} <= set(metrics)
    assert any(name.startswith("python_gc_") for name in metrics)
    routes = latency_routes(metrics)
    assert routes.get("/api/health/live") == 1 and routes.get("/api/auth/register") == 1
    assert not [route for route in routes if route.startswith("/socket.io")], routes
    sums = [s.value for s in metrics[LATENCY].samples if s.name == f"{LATENCY}_sum"]
    assert max(sums) < SESSION_SECONDS, sums
