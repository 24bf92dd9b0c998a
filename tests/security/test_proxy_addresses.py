"""Behind a trusted proxy, clients are told apart by X-Forwarded-For; from any other peer that
header is ignored (issue 13, finding 1). Real server processes, as nginx would reach them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.processes import start_server, stop_server

PASSWORD = "correct horse battery"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start a server process with these environment variables; stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        process, url = start_server(tmp_path, env=env)
        started.append(process)
        return url

    yield start
    for process in started:
        stop_server(process)


async def _login(http: aiohttp.ClientSession, url: str, email: str, password: str, via: str) -> int:
    body = {"email": email, "password": password}
    headers = {"X-Forwarded-For": via}
    async with http.post(f"{url}/api/auth/login", json=body, headers=headers) as response:
        return response.status


async def _register(http: aiohttp.ClientSession, url: str, email: str) -> None:
    body = {"email": email, "password": PASSWORD, "name": "Alice"}
    async with http.post(f"{url}/api/auth/register", json=body) as response:
        assert response.status == 201, await response.text()


async def _fail_five_times(http: aiohttp.ClientSession, url: str, via: str) -> None:
    for n in range(5):
        assert await _login(http, url, f"ghost{n}@uni.edu", "guess-123", via) == 401


async def test_a_trusted_proxy_tells_clients_apart_by_x_forwarded_for(server) -> None:
    url = server(TRUSTED_PROXIES="127.0.0.1")
    async with aiohttp.ClientSession() as http:
        await _register(http, url, "alice@uni.edu")
        # A client's own forged hop on the left changes nothing: nginx appends the real one.
        await _fail_five_times(http, url, "203.0.113.1, 198.51.100.7")
        assert await _login(http, url, "alice@uni.edu", PASSWORD, "198.51.100.7") == 429
        assert await _login(http, url, "alice@uni.edu", PASSWORD, "9.9.9.9, 198.51.100.7") == 429
        assert await _login(http, url, "alice@uni.edu", PASSWORD, "203.0.113.1") == 200
        assert await _login(http, url, "alice@uni.edu", PASSWORD, "2001:db8::5") == 200


async def test_an_untrusted_peer_cannot_choose_its_address(server) -> None:
    url = server()  # no trusted proxies: the TCP peer (127.0.0.1) is the client
    async with aiohttp.ClientSession() as http:
        await _register(http, url, "alice@uni.edu")
        await _fail_five_times(http, url, "198.51.100.7")
        assert await _login(http, url, "alice@uni.edu", PASSWORD, "203.0.113.1") == 429
        assert await _login(http, url, "alice@uni.edu", PASSWORD, "2001:db8::5") == 429
