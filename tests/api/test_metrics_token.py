"""`[http] metrics_token` (env METRICS_TOKEN): when set, /metrics answers only to
`Authorization: Bearer <token>`; anything else is a 401 JSON error. Unset, /metrics is open."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from settings import HttpSettings, load_settings
from tests.helpers import expect_error

TOKEN = "m3trics-" + "t" * 24


def test_the_token_comes_from_the_environment() -> None:
    assert load_settings(environ={"METRICS_TOKEN": TOKEN}).http.metrics_token == TOKEN


async def test_metrics_need_the_bearer_token_when_one_is_set(make_client: Any) -> None:
    client = await make_client(http=HttpSettings(metrics_token=TOKEN))
    for headers in (
        {},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": "Bearer "},
    ):
        await expect_error(await client.get("/metrics", headers=headers), 401, "unauthorized")
    await client.get("/api/health")
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200
    names = {family.name for family in text_string_to_metric_families(await response.text())}
    assert names, "no metric families parsed"


async def test_metrics_are_open_without_a_token(make_client: Any) -> None:
    client = await make_client()
    assert (await client.get("/metrics")).status == 200
