"""Examples for the main routes' responses in /api/openapi.json (each is checked against its
response schema in tests/operations/test_api_documents.py), and one for every error status."""

from __future__ import annotations

from typing import Any

from api.errors import CODE_BY_STATUS

_USER: dict[str, Any] = {
    "id": 17,
    "name": "Ada Lovelace",
    "email": "ada@uni.edu",
    "university": "State University",
    "major": "Computer Science",
    "year": "Junior",
    "learningStyle": "Diagrams and worked examples in a small group",
    "subjects": ["Mathematics", "Computer Science"],
    "studyEnvironments": [],
    "studyMethods": [],
    "schedule": {"Monday": ["Evening (5-9 PM)"]},
    "performanceLevel": 4,
    "groupPreferences": {"groupSize": 4, "sessionDuration": 90, "studyGoals": ["exam prep"]},
    "timezone": "Europe/Berlin",
    "createdAt": "2026-12-02T07:06:50.799848Z",
    "emailVerified": True,
    "calendarToken": "NbVwkB4lA9u6IXH-DAOklvLJE5skBchJ",
    "totalMinutes": 120,
    "learning_style": "Diagrams and worked examples in a small group",
    "performance_level": 4,
    "group_preferences": {"groupSize": 4, "sessionDuration": 90, "studyGoals": ["exam prep"]},
    "studyPreferences": ["exam prep"],
}
_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxNyJ9.c2lnbmF0dXJl"
_GROUP = {
    "id": 3,
    "title": "Calculus II",
    "subject": "Mathematics",
    "description": "Weekly problem sets",
    "schedule": "Mondays 18:00",
    "location": "Library room 2",
    "maxMembers": 6,
    "currentMembers": 1,
    "joinPolicy": "open",
    "leaderId": 17,
    "leaderName": "Ada Lovelace",
    "leader": "Ada Lovelace",
    "createdAt": "2026-12-02T07:06:51.844Z",
}
_HEALTH = {
    "status": "healthy",
    "database": "connected",
    "redis": "connected",
    "ai_model": "loaded",
    "model_name": "all-MiniLM-L6-v2",
    "version": "0.2.0",
}

# (method, path) -> example of the success body
EXAMPLES: dict[tuple[str, str], Any] = {
    ("POST", "/api/auth/register"): {
        "success": True,
        "message": "Registration successful",
        "token": _TOKEN,
        "refreshToken": "rt_5mXq2C9pLr0VbN8sYw3KdA",
        "user": _USER,
    },
    ("POST", "/api/auth/login"): {
        "success": True,
        "message": "Login successful",
        "token": _TOKEN,
        "refreshToken": "rt_5mXq2C9pLr0VbN8sYw3KdA",
        "user": _USER,
    },
    ("GET", "/api/auth/me"): {"success": True, "user": _USER},
    ("POST", "/api/groups/create"): {"success": True, "message": "Group created", "group": _GROUP},
    ("GET", "/api/chat/{group_id}/messages"): {"success": True, "messages": [], "hasMore": False},
    ("GET", "/api/health"): _HEALTH,
    ("GET", "/api/health/ready"): _HEALTH,
    ("GET", "/api/health/live"): {"status": "alive"},
}


def error_example(status: int, code: str | None = None) -> dict[str, Any]:
    code = code or CODE_BY_STATUS[status]
    message = f"What went wrong, for a person to read ({code})"
    return {"success": False, "error": {"code": code, "message": message}, "message": message}
