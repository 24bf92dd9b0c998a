"""Strangers cannot lock an owner out, and parallel guesses never get more password checks than
the limit (issue 13, findings 1 and 3). Clients are told apart by X-Forwarded-For from a
trusted proxy (the test client's 127.0.0.1), as behind nginx."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from app import create_app
from domain.errors import Busy
from domain.security import PasswordHasher
from settings import HttpSettings, ThrottleSettings
from tests.conftest import settings_for
from tests.helpers import expect_error, register
from tests.services import REDIS_URL, redis_prefix, require_service

BEHIND_NGINX = HttpSettings(trusted_proxies=("127.0.0.1",))
ADDRESS_A, ADDRESS_B, ADDRESS_C = "198.51.100.7", "203.0.113.9", "2001:db8::42"


class CountingHasher(PasswordHasher):
    """The real hasher, counting the bcrypt checks it was asked for."""

    def __init__(self) -> None:
        super().__init__(rounds=4)
        self.checks = 0

    async def verify(self, password: str, password_hash: str | None) -> bool:
        self.checks += 1
        return await super().verify(password, password_hash)


async def login(client: Any, email: str, password: str, address: str) -> Any:
    body = {"email": email, "password": password}
    return await client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": address})


async def test_owner_logs_in_from_a_clean_address_after_strangers_locked_the_account(
    make_client,
) -> None:
    client = await make_client(http=BEHIND_NGINX)
    alice = await register(client, email="alice@uni.edu")
    for _ in range(5):
        await expect_error(await login(client, "alice@uni.edu", "guess-123", ADDRESS_A), 401)
    # A, where the guesses came from, is refused even with the right password.
    refused = await login(client, "alice@uni.edu", alice["password"], ADDRESS_A)
    await expect_error(refused, 429, "rate_limited")
    # From B (no recent failures): a wrong guess is refused, the owner's password opens.
    guess = await login(client, "alice@uni.edu", "guess-456", ADDRESS_B)
    await expect_error(guess, 429, "rate_limited")
    assert int(guess.headers["Retry-After"]) > 0
    owner = await login(client, "alice@uni.edu", alice["password"], ADDRESS_C)
    assert owner.status == 200, await owner.text()


async def test_made_up_emails_block_only_the_address_they_came_from(make_client) -> None:
    client = await make_client(http=BEHIND_NGINX)
    alice = await register(client)
    email = alice["user"]["email"]
    for n in range(5):
        await expect_error(await login(client, f"ghost{n}@uni.edu", "guess-123", ADDRESS_A), 401)
    blocked = await login(client, email, alice["password"], ADDRESS_A)
    await expect_error(blocked, 429, "rate_limited")
    assert (await login(client, email, alice["password"], ADDRESS_B)).status == 200
    assert (await login(client, email, alice["password"], ADDRESS_C)).status == 200


async def test_thirty_parallel_wrong_passwords_get_five_checks(make_client) -> None:
    hasher = CountingHasher()
    client = await make_client(overrides={"hasher": hasher}, http=BEHIND_NGINX)
    alice = await register(client)
    hasher.checks = 0
    email = alice["user"]["email"]
    responses = await asyncio.gather(
        *(login(client, email, f"guess-{n:04}", ADDRESS_A) for n in range(30))
    )
    assert Counter(r.status for r in responses) == {401: 5, 429: 25}
    assert hasher.checks == 5


async def test_thirty_parallel_wrong_passwords_across_two_workers(
    aiohttp_client, sqlite_database_url
) -> None:
    require_service("Redis", "127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    settings = settings_for(
        sqlite_database_url, redis_url=REDIS_URL, redis_prefix=redis_prefix(), http=BEHIND_NGINX
    )
    hashers = [CountingHasher(), CountingHasher()]
    one, two = [
        await aiohttp_client(create_app(settings, overrides={"hasher": hasher}))
        for hasher in hashers
    ]
    alice = await register(one)
    hashers[0].checks = 0
    email = alice["user"]["email"]
    attempts = [
        login(worker, email, f"guess-{n:04}", ADDRESS_A) for n in range(15) for worker in (one, two)
    ]
    responses = await asyncio.gather(*attempts)
    assert Counter(r.status for r in responses) == {401: 5, 429: 25}
    assert hashers[0].checks + hashers[1].checks == 5


class BusyHasher(PasswordHasher):
    """Refuses the first `busy_checks` checks as a full hashing queue does."""

    def __init__(self, busy_checks: int) -> None:
        super().__init__(rounds=4)
        self.busy_checks = busy_checks

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if self.busy_checks > 0:
            self.busy_checks -= 1
            raise Busy("The server is busy; try again shortly", 1)
        return await super().verify(password, password_hash)


async def test_a_busy_refusal_is_not_counted_as_a_failed_login(make_client) -> None:
    """No password was checked, so no failure slot may stay taken (else a storm of 503s would
    lock the address and the account)."""
    client = await make_client(
        overrides={"hasher": BusyHasher(busy_checks=6)},
        http=BEHIND_NGINX,
        login_throttle=ThrottleSettings(max_failures=2, window_seconds=60),
    )
    alice = await register(client)
    email = alice["user"]["email"]
    for _ in range(6):
        refused = await login(client, email, alice["password"], ADDRESS_A)
        await expect_error(refused, 503, "busy")
        assert refused.headers["Retry-After"] == "1"
    assert (await login(client, email, alice["password"], ADDRESS_A)).status == 200
