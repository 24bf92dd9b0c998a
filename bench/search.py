"""Message search benchmark: the full-text index against a LIKE full scan of the same data.

Builds a fresh database per engine (SQLite file / MariaDB database made and dropped here),
migrated by Alembic like the app's, fills it with N messages by bulk inserts of 5000 rows (the
index is kept up to date during the load, by the triggers / by InnoDB, as in production; on
MariaDB 10.11 an index dropped and built again after the load came back empty), then times the
app's own search query (storage/repositories/search.py: a page of 50 with its messages loaded)
for a mix of rare words, common words, prefixes and two-word queries, and the same queries as
`content LIKE '%word%'` (the scan the index replaces).

    python bench/search.py --engine both --messages 1000000
    python bench/search.py --engine sqlite --messages 2000 --queries 10 --json out.json  # smoke

Prints one JSON object per engine: load time, p50/p99 (ms) for the index and the scan, and
their ratio. Run `uptime` beside it: the figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.engine import create_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.repositories.search import SqlSearchRepository  # noqa: E402
from storage.tables import group_members, messages, study_groups, users  # noqa: E402

MARIADB = os.environ.get("BENCH_MARIADB_URL", "mysql+asyncmy://root@127.0.0.1:3306")
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qua", "bri", "sto", "pla"]
# (word, share of messages that contain it): the rare and common words the queries look for.
PLANTED = [("eigenvalue", 0.0005), ("integral", 0.01), ("derivative", 0.05), ("exam", 0.2)]
CHUNK = 5000


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def message_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = vocabulary(rng)
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))  # Zipf
    texts = []
    for _ in range(count):
        body = rng.choices(words, cum_weights=cumulative, k=rng.randint(6, 16))
        for word, share in PLANTED:
            if rng.random() < share:
                body.insert(rng.randrange(len(body) + 1), word)
        texts.append(" ".join(body))
    return texts


def queries(count: int, seed: int = 11) -> list[tuple[str, list[str]]]:
    """(kind, words) for each query of the mix, the kinds in turn."""
    rng = random.Random(seed)
    words = vocabulary(random.Random(7))[:2000]
    kinds: list[tuple[str, Any]] = [
        ("rare 0.05%", lambda: ["eigenvalue"]),
        ("prefix of a 1% word", lambda: ["integr"]),
        ("5% word", lambda: ["derivative"]),
        ("20% word", lambda: ["exam"]),
        ("vocabulary word (Zipf)", lambda: [rng.choice(words)]),
        ("4-letter prefix", lambda: [rng.choice(words)[:4]]),
        ("two words", lambda: ["integral", "exam"]),
        ("no hit", lambda: ["nosuchword"]),
    ]
    return [(kinds[i % len(kinds)][0], kinds[i % len(kinds)][1]()) for i in range(count)]


async def load(url: str, count: int, groups: int, member_of: int) -> tuple[int, float]:
    """Fill the database; returns the searching user's id and the seconds the load took."""
    engine = create_engine(url)
    started = time.perf_counter()
    now = datetime.now(UTC)
    try:
        await upgrade(engine)
        async with engine.begin() as db:
            user = {
                "email": "bench@uni.edu",
                "password_hash": "x",
                "name": "Bench",
                "subjects": [],
                "study_environments": [],
                "study_methods": [],
                "schedule": {},
                "group_preferences": {},
                "calendar_token": uuid.uuid4().hex,
                "created_at": now,
                "updated_at": now,
            }
            user_id = (await db.execute(insert(users).values(user))).inserted_primary_key[0]
            await db.execute(
                insert(study_groups),
                [
                    {
                        "title": f"Group {g}",
                        "subject": "Mathematics",
                        "leader_id": user_id,
                        "created_at": now,
                        "updated_at": now,
                        "max_members": 50,
                    }
                    for g in range(groups)
                ],
            )
            group_ids = [row[0] for row in await db.execute(text("SELECT id FROM study_groups"))]
            await db.execute(
                insert(group_members),
                [
                    {
                        "group_id": g,
                        "user_id": user_id,
                        "role": "member",
                        "status": "active" if i < member_of else "pending",
                        "joined_at": now,
                    }
                    for i, g in enumerate(group_ids)
                ],
            )
        texts = message_texts(count)
        for start in range(0, count, CHUNK):
            rows = [
                {
                    "group_id": group_ids[(start + i) % groups],
                    "user_id": user_id,
                    "content": body,
                    "message_type": "text",
                    "created_at": now,
                }
                for i, body in enumerate(texts[start : start + CHUNK])
            ]
            async with engine.begin() as db:
                await db.execute(insert(messages), rows)
        return int(user_id), time.perf_counter() - started
    finally:
        await engine.dispose()


def like_statement() -> str:
    return (
        "SELECT m.id FROM messages m WHERE m.group_id IN (SELECT gm.group_id FROM group_members gm"
        " WHERE gm.user_id = :user_id AND gm.status = 'active') AND {likes}"
        " ORDER BY m.id DESC LIMIT 51"
    )


async def measure(
    url: str, user_id: int, mix: list[tuple[str, list[str]]], scans: int
) -> dict[str, Any]:
    engine = create_engine(url)
    asked = [terms for _, terms in mix]
    indexed: list[float] = []
    scanned: list[float] = []
    hits: list[int] = []
    try:
        async with engine.connect() as db:
            repository = SqlSearchRepository(db)
            for terms in asked:
                started = time.perf_counter()
                found, _ = await repository.messages(user_id, terms, None, None, 50)
                indexed.append((time.perf_counter() - started) * 1000)
                hits.append(len(found))
            for terms in asked[:scans]:
                likes = " AND ".join(f"m.content LIKE :w{i}" for i in range(len(terms)))
                params: dict[str, Any] = {"user_id": user_id}
                params |= {f"w{i}": f"%{term}%" for i, term in enumerate(terms)}
                started = time.perf_counter()
                await db.execute(text(like_statement().format(likes=likes)), params)
                scanned.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return {
        "index_p50_ms": round(statistics.median(indexed), 2),
        "index_p99_ms": round(percentile(indexed, 99), 2),
        "scan_p50_ms": round(statistics.median(scanned), 2),
        "scan_p99_ms": round(percentile(scanned, 99), 2),
        "scan_over_index_p50": round(statistics.median(scanned) / statistics.median(indexed), 1),
        "queries": len(indexed),
        "scans": len(scanned),
        "mean_hits_per_page": round(statistics.mean(hits), 1),
        "index_p50_ms_by_kind": by_kind([kind for kind, _ in mix], indexed),
    }


def by_kind(kinds: list[str], timings: list[float]) -> dict[str, float]:
    """The median time of each kind of query, in the order the kinds come in the mix."""
    grouped: dict[str, list[float]] = {}
    for kind, ms in zip(kinds, timings, strict=True):
        grouped.setdefault(kind, []).append(ms)
    return {kind: round(statistics.median(values), 2) for kind, values in grouped.items()}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def run_engine(engine_name: str, args: argparse.Namespace) -> dict[str, Any]:
    name = f"studysync_bench_search_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        if engine_name == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        else:
            url = await mariadb_database(name)
        try:
            user_id, seconds = await load(url, args.messages, args.groups, args.member_of)
            figures = await measure(url, user_id, queries(args.queries), args.scans)
        finally:
            if engine_name == "mariadb":
                await mariadb_admin(f"DROP DATABASE IF EXISTS `{name}`")
    return {
        "engine": engine_name,
        "messages": args.messages,
        "groups": args.groups,
        "member_of": args.member_of,
        "load_s": round(seconds, 1),
        **figures,
        "loadavg": os.getloadavg(),
    }


async def mariadb_admin(statement: str) -> None:
    engine = create_engine(MARIADB + "/")
    try:
        async with engine.begin() as db:
            await db.execute(text(statement))
    finally:
        await engine.dispose()


async def mariadb_database(name: str) -> str:
    await mariadb_admin(
        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    return f"{MARIADB}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--member-of", type=int, default=20, help="groups the searcher is in")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--scans", type=int, default=16, help="LIKE scans (slow) to time")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    engines = ["sqlite", "mariadb"] if args.engine == "both" else [args.engine]
    results = []
    for engine_name in engines:
        result = asyncio.run(run_engine(engine_name, args))
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
