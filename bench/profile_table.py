"""Top-N table from py-spy's collapsed stacks (`bench/fanout.py --py-spy`, `--format raw`).

    .venv/bin/python bench/profile_table.py bench/results/py-spy-50x20-w*.txt [--top 30]

Prints, per function (file:function), the share of all samples where it is on the stack
("inclusive") and where it is the innermost frame ("self"), plus a few buckets that answer
"where does a send's CPU go" (matched on any frame of the stack, first bucket wins).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")
# (bucket, substring of a frame "function (file)"), first match from the innermost frame wins
# for the self-time buckets.
BUCKETS = [
    ("pydantic validation", "pydantic"),
    ("prometheus metrics", "prometheus_client"),
    ("logging", "logging/__init__"),
    ("redis client (rate limit, pub/sub)", "redis/"),
    ("SQLAlchemy (compile, execute, results)", "sqlalchemy/"),
    ("MariaDB driver (asyncmy/aiomysql)", "mysql"),
    ("Socket.IO / Engine.IO packets", "socketio/"),
    ("Socket.IO / Engine.IO packets", "engineio/"),
    ("aiohttp (websocket frames)", "aiohttp/"),
    ("json / orjson", "json"),
    ("asyncio event loop", "asyncio/"),
]

# Where a send's CPU goes: inclusive share of the samples with a frame matching the substring.
AREAS = [
    ("message:send handler, all of it (ack included)", "ChatNamespace._send"),
    ("  rate-limit reservation (Redis script)", "RedisWindowCounter.reserve"),
    ("  group commit: checks, lock, INSERTs, COMMIT", "ChatService._write_batch"),
    ("  broadcast publish to Redis", "ShardedRedisManager._publish"),
    ("push planning for offline members (off the ack path)", "PushService.plan"),
    ("fan-out of broadcasts heard from Redis", "ShardedRedisManager._handle_emit"),
    ("new Redis connections (pool growth)", "ConnectionPool.make_connection"),
    ("SQLAlchemy pool_pre_ping", "_do_ping"),
    ("pydantic validation", "model_validate"),
    ("prometheus metrics", "prometheus_client"),
    ("logging", "logging/__init__"),
]


def frames(stack: str) -> list[str]:
    out = []
    for raw in stack.split(";"):
        match = FRAME.match(raw)
        if match is None:
            out.append(raw)
            continue
        path = match["file"]
        short = "/".join(path.split("/")[-2:]) if "site-packages" in path else path
        out.append(f"{match['func']} ({short.split('sendpath/')[-1]})")
    return out


def load(paths: list[Path]) -> list[tuple[list[str], int]]:
    samples = []
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack:
                samples.append((frames(stack), int(count)))
    return samples


def bucket_of(stack: list[str]) -> str:
    for frame in reversed(stack):  # innermost first
        for name, needle in BUCKETS:
            if needle in frame:
                return name
    return "our code and the rest"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    samples = load(args.files)
    total = sum(n for _, n in samples) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    for stack, n in samples:
        for frame in set(stack):
            inclusive[frame] += n
        if stack:
            own[stack[-1]] += n
        buckets[bucket_of(stack)] += n
    print(f"{total} samples from {len(args.files)} file(s)\n")
    print("| self time by library (innermost matching frame) | share |\n|---|---:|")
    for name, n in buckets.most_common():
        print(f"| {name} | {100 * n / total:.1f} % |")
    print("\n| where (inclusive) | share |\n|---|---:|")
    for label, needle in AREAS:
        n = sum(count for stack, count in samples if any(needle in f for f in stack))
        print(f"| {label} | {100 * n / total:.1f} % |")
    print(f"\n| top {args.top} inclusive | share | self |\n|---|---:|---:|")
    for frame, n in inclusive.most_common(args.top):
        print(f"| `{frame}` | {100 * n / total:.1f} % | {100 * own[frame] / total:.1f} % |")


if __name__ == "__main__":
    main()
