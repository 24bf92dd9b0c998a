"""Plain domain records. Storage maps rows to these; transports serialise them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from matching.profile import schedule_mask

MAX_ID = 10**18  # ids and cursors above this cannot exist (BIGINT): refused as invalid input


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    university: str
    major: str
    year: str
    learning_style: str
    subjects: list[str]
    study_environments: list[str]
    study_methods: list[str]
    schedule: dict[str, list[str]]
    performance_level: int
    group_preferences: dict[str, Any]
    timezone: str
    calendar_token: str
    token_version: int
    total_minutes: int
    current_attempt_id: int | None
    created_at: datetime
    updated_at: datetime
    email_verified_at: datetime | None = None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


@dataclass(frozen=True)
class Credentials:
    user_id: int
    password_hash: str
    token_version: int


@dataclass(frozen=True)
class NewUser:
    email: str
    password_hash: str
    name: str
    university: str = ""
    major: str = ""
    year: str = ""
    learning_style: str = ""
    subjects: list[str] = field(default_factory=list)
    study_environments: list[str] = field(default_factory=list)
    study_methods: list[str] = field(default_factory=list)
    schedule: dict[str, list[str]] = field(default_factory=dict)
    performance_level: int = 3
    group_preferences: dict[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"
    calendar_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))


# What a user edits about themselves: every field of a new account but the credentials and the
# feed token. Storage and the API read this one list.
PROFILE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(NewUser) if f.name not in {"email", "password_hash", "calendar_token"}
)


def check_schedule(schedule: dict[str, list[str]]) -> None:
    """A weekly schedule names known days and slots; raises ValueError naming the bad one."""
    schedule_mask(schedule)
