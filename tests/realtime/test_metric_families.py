"""Every metric family of the contract on a real server process after real socket traffic,
read with prometheus-client's own text parser: the counts are the traffic's (sockets open,
events by name, messages stored, frames written, transactions timed, matching queries)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.workers import Api, ChatClient
from tests.processes import ROOT, start_server, stop_server

SENDS = 5
CONTRACT = {
    "studysync_socket_connections": "gauge",
    "studysync_socket_events": "counter",
    "studysync_messages_sent": "counter",
    "studysync_deliveries": "counter",
    "studysync_db_seconds": "histogram",
    "studysync_matching_seconds": "histogram",
    "studysync_embed_queue": "gauge",
    "studysync_push_sent": "counter",
    "studysync_mail_sent": "counter",
    "studysync_http_requests": "counter",
    "studysync_http_request_seconds": "histogram",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    process, base = start_server(tmp_path)
    try:
        yield base
    finally:
        stop_server(process)


def value(families: dict[str, Any], sample_name: str, **labels: str) -> float:
    family = families[sample_name.removesuffix("_total").removesuffix("_count")]
    found = [
        s.value
        for s in family.samples
        if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (sample_name, labels, family.samples)
    return found[0]


async def scrape(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(f"{base}/metrics") as response:
        text = await response.text()
    return {family.name: family for family in text_string_to_metric_families(text)}


async def search_kinds(api: Api, base: str, seeker: dict[str, Any]) -> dict[str, set[str]]:
    """The kinds of card each search route finds for `seeker` (TimedMatching forwards)."""
    kinds = {}
    for path in ("/api/search", "/api/search/people"):
        body = {"query": "Physics study group", "limit": 10}
        status, found = await api.call("POST", f"{base}{path}", seeker["token"], body)
        assert status == 200, found
        kinds[path] = {card["kind"] for card in found["results"]}
    return kinds


async def test_every_contract_family_counts_real_socket_traffic(server: str) -> None:
    base = server
    async with aiohttp.ClientSession() as http:
        api = Api(http)
        leader, member = await api.register(base), await api.register(base)
        group_id = await api.group_with(base, leader, member)
        sockets = [ChatClient("leader", leader["token"]), ChatClient("member", member["token"])]
        await asyncio.gather(*(socket.connect(base) for socket in sockets))
        for n in range(SENDS):
            assert (await sockets[0].send(group_id, f"c{n}"))["ok"]
        assert (await sockets[0].send(group_id, "c0"))["ok"]  # a clientId retry: not new
        assert (await sockets[1].call("no:such:event", {}))["ok"] is False
        assert (await sockets[1].call("messages:sync", {"groupId": group_id}))["ok"]
        status, _ = await api.call(
            "POST", f"{base}/api/recommend", leader["token"], {"kind": "groups"}
        )
        assert status == 200
        kinds = await search_kinds(api, base, await api.register(base))
        assert kinds["/api/search"] >= {"group", "user"}
        assert kinds["/api/search/people"] == {"user"}  # people_only reached the service
        await asyncio.sleep(0.2)

        families = await scrape(http, base)
        for name, kind in CONTRACT.items():
            assert families[name].type == kind, name
        assert {"process_cpu_seconds", "process_resident_memory_bytes"} <= set(families)
        assert any(name.startswith("python_gc_") for name in families)

        assert value(families, "studysync_socket_connections") == 2
        events = "studysync_socket_events_total"
        assert value(families, events, event="message:send") == SENDS + 1
        assert value(families, events, event="messages:sync") == 1
        assert value(families, events, event="unknown") == 1
        assert value(families, "studysync_messages_sent_total") == SENDS
        # each new message reaches both members' sockets (the sender's too)
        assert value(families, "studysync_deliveries_total") >= 2 * SENDS
        assert value(families, "studysync_db_seconds_count") >= SENDS
        assert value(families, "studysync_matching_seconds_count", kind="groups") == 1
        assert value(families, "studysync_matching_seconds_count", kind="search") == 2
        assert value(families, "studysync_embed_queue") >= 0
        assert value(families, "studysync_push_sent_total", result="failed") == 0
        for _ in range(50):  # each registration queues a verification mail (to the outbox)
            mails = value(await scrape(http, base), "studysync_mail_sent_total", result="sent")
            if mails == 3:  # leader, member, seeker
                break
            await asyncio.sleep(0.1)
        assert mails == 3
        routes = {s.labels["route"] for s in families["studysync_http_request_seconds"].samples}
        assert not [route for route in routes if route.startswith("/socket.io")]

        await sockets[1].close()
        await asyncio.sleep(0.2)
        assert value(await scrape(http, base), "studysync_socket_connections") == 1
        await sockets[0].close()


def test_grafana_dashboard_uses_only_families_the_server_exports() -> None:
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {
        re.sub(r"_(total|bucket|count|sum)$", "", name)
        for expr in exprs
        for name in re.findall(r"\b(studysync_\w+)", expr)
    }
    assert used == set(CONTRACT)  # every family has a panel, and no panel names a stray one
