"""Luminary's answer shapes (snake_case), as domain/progress_json.py builds them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from api.schemas import CamelOut, SnakeOut, Success


class PersonOut(SnakeOut):
    id: int
    display_name: str


class ConstellationOut(SnakeOut):
    id: int
    name: str
    weight: int


class AttemptOut(SnakeOut):
    id: int
    user_id: int
    constellation_id: int
    stars_completed: int
    is_completed: bool
    completed_at: datetime | None


class SessionOut(SnakeOut):
    id: int
    user_id: int
    constellation_attempt_id: int
    is_completed: bool
    minutes: int
    status: Literal["pending", "completed", "cancelled"]
    completed_at: datetime | None
    created_at: datetime


class PostOut(SnakeOut):
    id: int
    post_type: str
    message: str | None
    study_duration: int | None
    created_at: datetime


class ConstellationFullOut(ConstellationOut):
    created_by: int | None
    user_attempts: list[AttemptOut]
    posts: list[PostOut]


class AttemptFullOut(AttemptOut):
    user: PersonOut
    constellation: ConstellationOut
    sessions: list[SessionOut]


class SessionFullOut(SessionOut):
    user: PersonOut
    constellation_attempt: AttemptOut


class PostFullOut(PostOut):
    user_id: int
    constellation_id: int
    user: PersonOut
    constellation: ConstellationOut


class UserFullOut(SnakeOut):
    id: int
    display_name: str
    current_attempt_id: int | None
    total_minutes: int
    current_attempt: AttemptOut | None
    constellation_attempts: list[AttemptOut]
    sessions: list[SessionOut]
    posts: list[PostOut]


class DoneOut(SnakeOut):
    message: str


class ConstellationsPage(SnakeOut):
    constellations: list[ConstellationFullOut]
    has_more: bool


class AttemptsPage(SnakeOut):
    constellation_attempts: list[AttemptFullOut]
    has_more: bool


class SessionsPage(SnakeOut):
    sessions: list[SessionFullOut]
    has_more: bool


class PostsPage(SnakeOut):
    posts: list[PostFullOut]
    has_more: bool


class UsersPage(SnakeOut):
    users: list[UserFullOut]
    has_more: bool


class CompletedAttemptOut(SnakeOut):
    attempt: AttemptFullOut
    user_updated: bool
    message: str


class ProgressSummaryOut(CamelOut):
    timezone: str
    streak_days: int
    studied_today: bool
    minutes_today: int
    minutes_this_week: int
    total_minutes: int
    stars: int
    completed_constellations: int
    completed_sessions: int


class MyProgressOut(Success):
    progress: ProgressSummaryOut
