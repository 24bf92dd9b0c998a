"""Profile embeddings: their fingerprint, computing them off the loop, the one write path that
stores them, and the batch re-embedding behind `server.py reindex` and the start-up backfill."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.matching_records import StoredEmbedding, StudentRecord, TextEmbedder
from domain.ports import UnitOfWork, UnitOfWorkFactory

RELOAD = "matching:reload"  # change-feed kind: every worker rebuilds its index from storage


def text_fingerprint(model: str, record: StudentRecord) -> str:
    text = f"{model}\n{record.learning_style}\n{record.search_text}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_stale(model: str, record: StudentRecord) -> bool:
    """No stored embedding, or one made by another model or from other text."""
    stored = record.embedding
    return stored is None or stored.text_sha256 != text_fingerprint(model, record)


async def embed_records(
    embedder: TextEmbedder, records: Sequence[StudentRecord]
) -> list[StoredEmbedding]:
    """Both vectors of each record (learning style, search text) in one encode call, off the
    loop. An empty learning style stores no style vector: that factor scores 0."""
    if not records:
        return []
    texts = [r.learning_style or " " for r in records] + [r.search_text or " " for r in records]
    vectors = await embedder.encode(texts)
    styles, searches = vectors[: len(records)], vectors[len(records) :]
    return [
        StoredEmbedding(
            embedder.name,
            text_fingerprint(embedder.name, record),
            style.tobytes() if record.learning_style.strip() else None,
            search.tobytes(),
        )
        for record, style, search in zip(records, styles, searches, strict=True)
    ]


async def store_embeddings(
    uow: UnitOfWork, records: Sequence[StudentRecord], stored: Sequence[StoredEmbedding]
) -> None:
    """The one write path for embeddings (profile writes, start-up backfill, reindex)."""
    for record, embedding in zip(records, stored, strict=True):
        await uow.matching.store_embedding(
            record.id,
            embedding.model,
            embedding.text_sha256,
            embedding.vector,
            embedding.search_vector,
        )


@dataclass(frozen=True)
class ReindexResult:
    students: int  # profiles seen
    embedded: int  # profiles whose vectors were (re)computed and stored


async def reindex_students(
    uow_factory: UnitOfWorkFactory,
    embedder: TextEmbedder,
    *,
    batch_size: int = 64,
    only_stale: bool = False,
    progress: Callable[[int], object] | None = None,
) -> ReindexResult:
    """Re-embed every stored profile (or only those whose embedding is missing or stale), in
    batches, each batch stored in its own transaction. Running it again stores the same vectors:
    the model is deterministic and the fingerprint names model and text."""
    if batch_size < 1:
        raise InvalidInput("batch size must be at least 1", {"batchSize": "must be >= 1"})
    seen = embedded = 0
    after = 0
    while True:
        async with uow_factory() as uow:
            page = await uow.matching.students(after, batch_size)
        if not page:
            break
        after = page[-1].id
        todo = [r for r in page if not only_stale or is_stale(embedder.name, r)]
        stored = await embed_records(embedder, todo)
        if todo:
            async with uow_factory() as uow:
                await store_embeddings(uow, todo, stored)
                await uow.commit()
        seen += len(page)
        embedded += len(todo)
        if progress is not None:
            progress(len(page))
    return ReindexResult(seen, embedded)
