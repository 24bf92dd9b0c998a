"""Push and moderation across a two-worker cluster: a socket open on the OTHER worker
suppresses the push (presence is shared through Redis); a mute set on one worker refuses a
send on the other. Also prints the commit → push POST delay (p50/p99)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.realtime.push_helpers import TEST_VAPID_KEY, LocalPushService, Subscriber
from tests.realtime.test_two_workers import (
    Worker,
    send,
    two_workers,
)

pytestmark = [pytest.mark.redis, pytest.mark.mariadb]
QUIET = 1.0


@pytest.fixture(scope="module")
def push_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    env = {"PUSH_ALLOW_HTTP": "1", "VAPID_PRIVATE_KEY": TEST_VAPID_KEY}
    yield from two_workers(tmp_path_factory, "push", env)


async def setup_pair(rest: Any, a: Worker) -> tuple[int, dict[str, Any], dict[str, Any]]:
    alice, bob = await rest.register(a), await rest.register(a)
    group_id = await rest.group(a, alice)
    assert await rest.join(a, group_id, bob) == "active"
    return group_id, alice, bob


async def test_a_socket_on_the_other_worker_suppresses_the_push(
    push_workers, rest, worker_sockets
) -> None:
    a, b = push_workers
    service = await LocalPushService().start()
    try:
        group_id, alice, bob = await setup_pair(rest, a)
        browser = Subscriber()
        await rest.call(
            "POST", f"{a.url}/api/push/subscriptions", bob, browser.body(service.url("/p/bob"))
        )
        bob_socket = await worker_sockets(b, bob)  # Bob is online on worker B only
        await rest.call("POST", f"{a.url}/api/chat/{group_id}/send", alice, {"content": "one"})
        await bob_socket.next("message:new")
        await bob_socket.quiet("never", QUIET)
        assert service.at("/p/bob") == []
        await bob_socket.close()
        await rest.call("POST", f"{a.url}/api/chat/{group_id}/send", alice, {"content": "two"})
        (received,) = await service.wait_for("/p/bob")
        assert browser.decrypt(received)["body"] == "two"
    finally:
        await service.close()


async def test_a_mute_set_on_one_worker_refuses_sends_on_the_other(
    push_workers, rest, worker_sockets
) -> None:
    a, b = push_workers
    group_id, alice, bob = await setup_pair(rest, a)
    bob_socket = await worker_sockets(b, bob)
    await send(bob_socket, group_id, "before")
    mute = f"{a.url}/api/groups/{group_id}/members/{bob['user']['id']}/mute"
    await rest.call("POST", mute, alice, {"minutes": 10})
    error = await bob_socket.error(
        "message:send", {"groupId": group_id, "content": "after"}, "forbidden"
    )
    assert error["details"]["reason"] == "muted"


async def test_commit_to_push_post_delay(push_workers, rest) -> None:
    """The message's timestamp is taken just before its INSERT; the push service stamps the
    POST's arrival. Printed for the closing note (run with -s)."""
    a, _b = push_workers
    service = await LocalPushService().start()
    try:
        group_id, alice, bob = await setup_pair(rest, a)
        await rest.call(
            "POST", f"{a.url}/api/push/subscriptions", bob, Subscriber().body(service.url("/p/m"))
        )
        count = int(os.environ.get("PUSH_DELAY_SAMPLES", "60"))
        stamps = []
        for number in range(count):
            url = f"{a.url}/api/chat/{group_id}/send"
            data = await rest.call("POST", url, alice, {"content": f"m{number}"})
            stamps.append(datetime.fromisoformat(data["message"]["timestamp"]).timestamp())
            await service.wait_for("/p/m", number + 1)
        delays = sorted(r.at - t for r, t in zip(service.at("/p/m"), stamps, strict=True))
        p50 = statistics.median(delays) * 1000
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))] * 1000
        load = os.getloadavg()
        print(f"\ncommit→push POST over {count}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, load {load}")
        assert all(delay >= 0 for delay in delays)
    finally:
        await service.close()
