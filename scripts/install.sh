#!/usr/bin/env bash
# The one install recipe: `make install` and deploy/Dockerfile both run it.
#   scripts/install.sh PYTHON [EXTRAS]      e.g. scripts/install.sh .venv/bin/python test
# torch is pinned (the version pyproject.toml declares) in the same pip command as
# sentence-transformers, so pip keeps the CPU wheel instead of resolving a multi-GB CUDA build.
# TORCH_INDEX_URL (the Dockerfile sets https://download.pytorch.org/whl/cpu) installs that CPU
# wheel first where no local one is configured; the second command then keeps it.
set -euo pipefail
PY=${1:?usage: scripts/install.sh PYTHON [EXTRAS]}
EXTRAS=${2:-}
cd "$(dirname "$0")/.."

TORCH=$("$PY" -c 'import tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print(next(d for d in deps if d.startswith("torch==")))')
TARGET="."
if [ -n "$EXTRAS" ]; then TARGET=".[${EXTRAS}]"; fi

"$PY" -m pip install --quiet --upgrade pip
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "$PY" -m pip install --quiet "$TORCH" --index-url "$TORCH_INDEX_URL"
fi
"$PY" -m pip install --quiet "$TORCH" -e "$TARGET"
