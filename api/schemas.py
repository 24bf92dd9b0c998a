"""Wire-schema building blocks shared by every resource."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from domain.models import MAX_ID  # noqa: F401  (the routes import it from here)
from wire.text import (  # noqa: F401  (the text rule's field types, re-exported for the routes)
    ClientId,
    Content,
    Emoji,
    ImageUrl,
    Label,
    MultiLine,
    SingleLine,
    Text100,
)

MAX_PAGE = 200


class CamelIn(BaseModel):
    """Input on StudySync routes: camelCase keys, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=True,
        strict=True,
    )


class SnakeIn(BaseModel):
    """Input on Luminary routes: snake_case keys, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


# Output models publish `additionalProperties: false` (the schema is the contract checked by the
# tests) without refusing extras themselves: `extra="forbid"` marks the input models.
_EXACT: dict[str, Any] = {"additionalProperties": False}


class CamelOut(BaseModel):
    """Output on StudySync routes: camelCase keys; a key the model does not name is a drift
    (the schema says additionalProperties: false, and tests/api/test_response_models.py checks
    every route's answers against it)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, json_schema_extra=_EXACT
    )


class SnakeOut(BaseModel):
    """Output on Luminary routes: snake_case keys, as exact as CamelOut."""

    model_config = ConfigDict(json_schema_extra=_EXACT)


class Success(CamelOut):
    """The StudySync envelope: every answer of ok() carries it."""

    success: Literal[True]


class MessageOut(Success):
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    """Every 4xx and 5xx answer (api/errors.py error_body); `details` names the bad fields."""

    success: Literal[False]
    error: ErrorDetail
    message: str


# Passwords are used exactly as typed: never stripped (CamelIn strips other strings).
Password = Annotated[str, StringConstraints(min_length=8, max_length=128, strip_whitespace=False)]
GivenPassword = Annotated[
    str, StringConstraints(min_length=1, max_length=128, strip_whitespace=False)
]
