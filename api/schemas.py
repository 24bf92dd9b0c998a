"""Wire-schema building blocks shared by every resource."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from domain.models import MAX_ID  # noqa: F401  (the routes import it from here)
from domain.text import check_text

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


# Every text field of every input model carries one of these two markers, after its length
# bounds (`Annotated[str, StringConstraints(...), SingleLine]`): the text rule of domain/text.py.
# Passwords are the one exception: they are used exactly as typed.


def _single_line(text: str) -> str:
    return check_text(text)


def _multi_line(text: str) -> str:
    return check_text(text, multi_line=True)


SingleLine = AfterValidator(_single_line)
MultiLine = AfterValidator(_multi_line)  # message content and descriptions only

Text100 = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]

# Chat fields, shared by REST (api/chat.py) and the socket payloads (realtime/payloads.py).
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=64), SingleLine]
Content = Annotated[str, StringConstraints(max_length=20000), MultiLine]
ImageUrl = Annotated[str, StringConstraints(max_length=2048), SingleLine]
# In characters (the column holds 32); the service checks it is one emoji (domain/chat.py).
Emoji = Annotated[str, StringConstraints(min_length=1, max_length=32), SingleLine]

# Passwords are used exactly as typed: never stripped (CamelIn strips other strings).
Password = Annotated[str, StringConstraints(min_length=8, max_length=128, strip_whitespace=False)]
GivenPassword = Annotated[
    str, StringConstraints(min_length=1, max_length=128, strip_whitespace=False)
]
