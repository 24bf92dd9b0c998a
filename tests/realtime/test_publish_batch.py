"""Room-channel publishes go out in pipelines (realtime/publish_batch.py): a burst of
broadcasts, as a group commit answers many sends at once, reaches Redis in call order over one
connection and a few round trips, instead of one connection and one round trip each."""

from __future__ import annotations

import asyncio
import socket

import pytest
from redis.asyncio import Redis

from realtime.publish_batch import PublishBatcher
from tests.services import REDIS_URL, RUN_ID

pytestmark = pytest.mark.redis


async def test_a_burst_is_pipelined_in_order_over_one_connection() -> None:
    channel = f"studysync-test-{RUN_ID}-publish-batch"
    publisher, listener = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.ssubscribe(channel)
    await pubsub.get_message(timeout=2)  # the subscription's confirmation
    batcher = PublishBatcher(lambda: publisher, lambda: None)
    try:
        counts = await asyncio.gather(
            *(batcher.publish(channel, f"m{n}".encode()) for n in range(200))
        )
        assert counts == [1] * 200  # one receiver each
        assert batcher.pipelines <= 3  # was 200 round trips
        pool = publisher.connection_pool
        assert len(pool._available_connections) + len(pool._in_use_connections) == 1  # was 200
        got = []
        while len(got) < 200:
            message = await pubsub.get_message(timeout=2)
            assert message is not None, f"only {len(got)} arrived"
            got.append(message["data"].decode())
        assert got == [f"m{n}" for n in range(200)]
    finally:
        await pubsub.aclose()
        await publisher.aclose()
        await listener.aclose()


async def test_a_failed_pipeline_is_tried_once_more_then_answered_none() -> None:
    with socket.socket() as probe:  # a port nothing listens on: Redis is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = Redis.from_url(f"redis://127.0.0.1:{port}", socket_connect_timeout=1)
    reconnects: list[int] = []
    batcher = PublishBatcher(lambda: down, lambda: reconnects.append(1))
    try:
        answers = await asyncio.gather(batcher.publish("c", b"x"), batcher.publish("c", b"y"))
        assert answers == [None, None]
        assert len(reconnects) == 2 and batcher.pipelines == 2  # one pipeline, tried twice
    finally:
        await down.aclose()
