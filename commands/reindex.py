"""`python server.py reindex`: re-embed every stored profile with the configured model.

Wiring only (engine, embedder, progress bar, change feed); the rules are
`domain.matching_embeddings.reindex_students`, which writes through the same storage path as the
service.
"""

from __future__ import annotations

import logging

from tqdm import tqdm

from domain.matching_embeddings import RELOAD, ReindexResult, reindex_students
from matching.embedder import Embedder, HashingEmbedder
from settings import Settings
from storage.engine import create_engine
from storage.uow import unit_of_work_factory

log = logging.getLogger("studysync.reindex")


async def run_reindex(
    settings: Settings, embedder_kind: str, batch_size: int, only_stale: bool
) -> ReindexResult | None:
    """None when the model could not be loaded (nothing was written)."""
    if embedder_kind == "hashing":
        embedder: Embedder | HashingEmbedder = HashingEmbedder()
    else:
        embedder = Embedder(settings.matching.model, batch_size)
    engine = create_engine(settings.database_url)
    try:
        await embedder.start()
        if embedder.state != "loaded":
            log.error("the embedding model %s could not be loaded", embedder.name)
            return None
        uow = unit_of_work_factory(engine)
        async with uow() as reader:
            total = await reader.matching.count_students()
        with tqdm(total=total, unit="profile", desc=f"reindex ({embedder.name})") as bar:
            result = await reindex_students(
                uow, embedder, batch_size=batch_size, only_stale=only_stale, progress=bar.update
            )
    finally:
        await engine.dispose()
        embedder.close()
    log.info("reindex: %d profiles, %d re-embedded", result.students, result.embedded)
    if settings.redis_url and result.embedded:
        await _tell_workers(settings)
    return result


async def _tell_workers(settings: Settings) -> None:
    """Running workers rebuild their in-memory index from the new vectors."""
    from redis import asyncio as aioredis

    from storage.kv import RedisChangeFeed

    client = aioredis.from_url(settings.redis_url)
    try:
        await RedisChangeFeed(client, f"{settings.redis_prefix}:changes").publish(RELOAD, {})
    finally:
        await client.aclose()
