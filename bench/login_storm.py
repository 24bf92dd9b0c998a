"""A bystander's latency during a bcrypt storm: 40 logins and 20 registrations fired at once at
one server process (real bcrypt cost, rounds 10), while another user polls GET /api/groups/mine.

    python -m bench.login_storm [--rounds 10] [--auth-section]

`--auth-section` writes `[auth] hash_concurrency = 2, hash_queue = 64` into the config (servers
without the bounded hashing queue refuse that section). Prints JSON: the bystander's median and
worst latency before and during the storm, the storm's duration and its status counts.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.common import PYTHON, Proc, free_port

PASSWORD = "correct horse battery"


def _config(directory: Path, rounds: int, auth_section: bool) -> Path:
    config = directory / "config.toml"
    text = (
        f'database_url = "sqlite+aiosqlite:///{directory}/app.db"\n'
        f'jwt_secret_file = "{directory}/secret"\nbcrypt_rounds = {rounds}\n'
        "[login_throttle]\nmax_failures = 1000\n"
        '[matching]\nembedder = "hashing"\n'
    )
    if auth_section:
        text += "[auth]\nhash_concurrency = 2\nhash_queue = 64\n"
    config.write_text(text)
    return config


def _profile(n: int) -> dict[str, Any]:
    return {"name": f"Storm {n}", "email": f"storm{n}@uni.edu", "password": PASSWORD}


async def _register(http: aiohttp.ClientSession, base: str, n: int) -> tuple[int, str]:
    async with http.post(f"{base}/api/auth/register", json=_profile(n)) as response:
        body = await response.json()
        return response.status, body.get("token", "")


async def _login(http: aiohttp.ClientSession, base: str, n: int) -> int:
    login = {"email": f"storm{n}@uni.edu", "password": PASSWORD}
    async with http.post(f"{base}/api/auth/login", json=login) as response:
        await response.read()
        return response.status


async def _poll(http: aiohttp.ClientSession, base: str, token: str, stop: asyncio.Event) -> list:
    samples: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        started = time.perf_counter()
        async with http.get(f"{base}/api/groups/mine", headers=headers) as response:
            await response.read()
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples), 1), "worst_ms": round(max(samples), 1)}


async def _measure(base: str) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        _, token = await _register(http, base, 0)
        for n in range(1, 41):
            await _register(http, base, n)
        stop = asyncio.Event()
        quiet = asyncio.create_task(_poll(http, base, token, stop))
        await asyncio.sleep(2)
        stop.set()
        before = await quiet
        stop = asyncio.Event()
        during = asyncio.create_task(_poll(http, base, token, stop))
        started = time.perf_counter()
        logins = [_login(http, base, n) for n in range(1, 41)]
        registrations = [_register(http, base, n) for n in range(100, 120)]
        results = await asyncio.gather(*logins, *registrations)
        storm_seconds = time.perf_counter() - started
        stop.set()
        samples = await during
    statuses = Counter(str(r if isinstance(r, int) else r[0]) for r in results)
    return {
        "quiet": _summary(before),
        "storm": _summary(samples),
        "storm_seconds": round(storm_seconds, 2),
        "statuses": dict(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--auth-section", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        port = free_port()
        config = _config(directory, args.rounds, args.auth_section)
        command = [PYTHON, "server.py", "serve", "--port", str(port), "--config", str(config)]
        server = Proc("server", command, directory / "server.log")
        try:
            server.wait_listening(port)
            result = asyncio.run(_measure(f"http://127.0.0.1:{port}"))
        finally:
            server.stop()
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
