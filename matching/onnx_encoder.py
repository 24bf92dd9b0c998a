"""Single-sentence embeds through ONNX Runtime (toolchain.md "The model (offline)").

The transformer is exported once to `<cache>/<model>-<fingerprint>.onnx` with the legacy
TorchScript exporter (`dynamo=False`), then run with `onnxruntime` and the model's own
`tokenizer.json` (`tokenizers`) with padding to the longest text only: the shipped file pads to a
fixed 128 tokens, which is ~12× slower for one sentence. Mean pooling over the attention mask
and L2 normalisation, as the sentence-transformers pipeline (Transformer → Pooling → Normalize)
does, give the same vectors (cosine ≥ 0.999, tests/unit/test_matching_model.py).

    python -m matching.onnx_encoder [--cache-dir DIR]   # export at install time
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("studysync.matching")
ROOT = Path(__file__).resolve().parents[1]
CACHE_ENV = "STUDYSYNC_MODEL_CACHE"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Part of the file name (fingerprint): a changed export recipe exports again.
EXPORT_RECIPE = "torchscript-opset17-bert-fusion-1"


def default_cache_dir() -> Path:
    """`$STUDYSYNC_MODEL_CACHE`, else `var/models/` in the project."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else ROOT / "var" / "models"


def fingerprint(model_dir: Path) -> str:
    """Changes when the model's weights or configuration change."""
    digest = hashlib.sha256(EXPORT_RECIPE.encode())
    for name in ("config.json", "tokenizer.json"):
        path = model_dir / name
        if path.exists():
            digest.update(path.read_bytes())
    for weights in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def onnx_path(model_dir: Path, cache_dir: Path) -> Path:
    return cache_dir / f"{model_dir.parent.name}-{model_dir.name}-{fingerprint(model_dir)}.onnx"


def export(transformer: Any, path: Path) -> None:
    """Export the Hugging Face transformer (sentence-transformers module 0) to `path`,
    atomically: several workers may start at once, and a half-written file must never load."""
    import torch

    class LastHiddenState(torch.nn.Module):
        """Keyword arguments (forward's positional order differs across transformers
        versions) and one plain tensor out."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = {
        "input_ids": torch.tensor([[101, 7592, 2088, 102]]),
        "attention_mask": torch.ones(1, 4, dtype=torch.long),
        "token_type_ids": torch.zeros(1, 4, dtype=torch.long),
    }
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        # The exporter warns about tracing details; pytest turns warnings into errors.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState().eval(),
                (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                temporary,
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        _fuse(temporary, transformer.config)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    log.info("exported the embedding model to %s", path)


def _fuse(path: str, config: Any) -> None:
    """onnxruntime's BERT graph fusions (LayerNorm + residual, bias + GELU): ~1.5× faster for
    one sentence here, same vectors. Skipped (the plain export stays) if they fail."""
    try:
        from onnxruntime.transformers import optimizer

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = optimizer.optimize_model(
                path,
                model_type="bert",
                num_heads=int(config.num_attention_heads),
                hidden_size=int(config.hidden_size),
                opt_level=1,
            )
            model.save_model_to_file(path)
    except Exception as error:
        log.warning("ONNX graph fusion skipped: %r", error)


class OnnxEncoder:
    """tokenizers + onnxruntime + mean pooling + L2: the sentence-transformers vectors."""

    def __init__(self, model_file: Path, tokenizer_file: Path, max_length: int, threads: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._wanted = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding()  # to the longest text of the call, no fixed length
        self.model_file = model_file

    @classmethod
    def for_model(cls, model: Any, model_dir: Path, cache_dir: Path) -> OnnxEncoder:
        """Load the cached export of this sentence-transformers model, exporting it first."""
        import onnx  # noqa: F401  (the exporter needs it; fail before exporting, not after)
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401

        path = onnx_path(model_dir, cache_dir)
        if not path.exists():
            export(model[0].auto_model, path)
        return cls(path, model_dir / "tokenizer.json", int(model.max_seq_length))

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (hidden,) = self._session.run(
            ["last_hidden_state"], {k: v for k, v in feed.items() if k in self._wanted}
        )
        mask = feed["attention_mask"][:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray((pooled / np.maximum(norms, 1e-12)).astype(np.float32))


def main() -> int:
    import argparse

    from matching.embedder import Embedder

    parser = argparse.ArgumentParser(description="export the embedding model to ONNX")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--model", default="", help="a local model directory (default: packaged)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    embedder = Embedder(args.model, backend="onnx", cache_dir=args.cache_dir)
    embedder.encode_sync(["warm up"])
    log.info("ONNX path active: %s", embedder.onnx_active)
    embedder.close()
    return 0 if embedder.onnx_active else 1


if __name__ == "__main__":
    raise SystemExit(main())
