"""bcrypt cannot starve the server (issue 13, finding 8): at most `[auth] hash_concurrency`
hashes run at once on their own threads, at most `hash_queue` wait, and beyond that a request
gets 503 `busy` with Retry-After at once — never a 500."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest

from domain.errors import Busy
from domain.hashing import HashQueue
from settings import AuthSettings, ThrottleSettings
from tests.helpers import profile, register


class Gauge:
    """A slow job that records how many of its kind ran at once, and on which threads."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.running = self.most = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return "done"


async def test_at_most_concurrency_run_and_queue_limit_wait() -> None:
    queue, gauge = HashQueue(concurrency=2, queue_limit=3), Gauge()
    try:
        outcomes = await asyncio.gather(
            *(queue.run(gauge) for _ in range(10)), return_exceptions=True
        )
    finally:
        queue.close()
    assert outcomes.count("done") == 5
    refusals = [o for o in outcomes if isinstance(o, Busy)]
    assert len(refusals) == 5 and all(r.retry_after >= 1 for r in refusals)
    assert gauge.most == 2
    assert all(name.startswith("bcrypt") for name in gauge.threads)  # not the default pool
    assert queue.pending == 0


async def test_a_cancelled_caller_keeps_its_place_until_the_job_has_left() -> None:
    queue, gauge = HashQueue(concurrency=1, queue_limit=0), Gauge(0.2)
    try:
        caller = asyncio.create_task(queue.run(gauge))
        await asyncio.sleep(0.05)  # the job is running on the pool now
        caller.cancel()
        with pytest.raises(Busy):
            await queue.run(gauge)  # the place is still taken by the running job
        await asyncio.sleep(0.3)
        assert await queue.run(gauge) == "done"
    finally:
        queue.close()


async def test_a_storm_of_logins_and_registrations_gets_busy_never_500(make_client) -> None:
    client = await make_client(
        bcrypt_rounds=8,
        auth=AuthSettings(hash_concurrency=1, hash_queue=2),
        login_throttle=ThrottleSettings(max_failures=1000, window_seconds=60),
    )
    accounts = [await register(client) for _ in range(5)]
    logins = [
        client.post(
            "/api/auth/login",
            json={"email": account["user"]["email"], "password": account["password"]},
        )
        for account in accounts
        for _ in range(4)
    ]
    registrations = [client.post("/api/auth/register", json=profile()) for _ in range(10)]
    responses = await asyncio.gather(*logins, *registrations)
    statuses = Counter(response.status for response in responses)
    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses[503] > 0 and statuses[200] + statuses[201] >= 3, statuses
    for response in responses:
        if response.status == 503:
            body = await response.json()
            assert body["error"]["code"] == "busy"
            assert int(response.headers["Retry-After"]) >= 1
    # The storm is over: the queue has room again.
    again = accounts[0]
    login = {"email": again["user"]["email"], "password": again["password"]}
    assert (await client.post("/api/auth/login", json=login)).status == 200
