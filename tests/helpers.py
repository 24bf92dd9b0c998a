"""Small helpers for talking to the API like a client does."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)


def profile(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "name": f"Student {n}",
        "email": f"student{n}@uni.edu",
        "password": "correct horse battery",
        "university": "State University",
        "major": "Computer Science",
        "year": "Junior",
        "learningStyle": "I learn best with diagrams and worked examples in a small group",
        "subjects": ["Mathematics", "Computer Science"],
        "schedule": {"Monday": ["Evening (5-9 PM)"], "Wednesday": ["Evening (5-9 PM)"]},
        "performanceLevel": 4,
        "groupPreferences": {"groupSize": 4, "sessionDuration": 90, "studyGoals": ["exam prep"]},
    }
    body.update(overrides)
    return body


async def register(client: Any, **overrides: Any) -> dict[str, Any]:
    """Register a user; returns {"token", "refreshToken", "user", "headers", "password"}."""
    body = profile(**overrides)
    response = await client.post("/api/auth/register", json=body)
    assert response.status == 201, await response.text()
    data = await response.json()
    return {
        "token": data["token"],
        "refreshToken": data["refreshToken"],
        "user": data["user"],
        "headers": {"Authorization": f"Bearer {data['token']}"},
        "password": body["password"],
    }


async def expect_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status == status, f"{response.status}: {await response.text()}"
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["success"] is False
    assert body["message"] == body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body
