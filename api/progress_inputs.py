"""Luminary's request models (snake_case bodies, cursor pages)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from api.schemas import MAX_ID, MAX_PAGE, MultiLine, SingleLine, SnakeIn
from domain.progress_records import MAX_MINUTES

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
Weight = Annotated[StrictInt, Field(ge=1, le=100)]


class AfterPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)
    after: int | None = Field(None, ge=0, le=MAX_ID)


class BeforePage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)
    before: int | None = Field(None, ge=1, le=MAX_ID)


class ConstellationIn(SnakeIn):
    name: Name
    weight: Weight


class ConstellationPatch(SnakeIn):
    name: Name | None = None
    weight: Weight | None = None


class AttemptIn(SnakeIn):
    constellation_id: Id


class FocusSessionIn(SnakeIn):
    user_id: Id | None = None
    constellation_attempt_id: Id
    minutes: Annotated[StrictInt, Field(ge=1, le=MAX_MINUTES)]
    is_completed: StrictBool | None = None  # sent by some clients; ignored (sessions start pending)


class PostIn(SnakeIn):
    user_id: Id | None = None
    constellation_id: Id
    post_type: Literal["completion", "progress", "streak", "milestone"]
    message: Annotated[str, StringConstraints(max_length=2000), MultiLine] | None = None
    study_duration: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None
