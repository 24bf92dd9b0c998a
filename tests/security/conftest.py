from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Operations with a reported bug outside this area run as non-strict xfail."""
    from tests.security.test_openapi_fuzz import KNOWN_ISSUES

    for item in items:
        if not item.nodeid.startswith("tests/security/test_openapi_fuzz.py"):
            continue
        for label, reason in KNOWN_ISSUES.items():
            if item.name.endswith(f"[{label}]"):
                item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
