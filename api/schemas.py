"""Wire-schema building blocks shared by every resource."""

from __future__ import annotations

from typing import Annotated

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


class CamelOut(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# Passwords are used exactly as typed: never stripped (CamelIn strips other strings).
Password = Annotated[str, StringConstraints(min_length=8, max_length=128, strip_whitespace=False)]
GivenPassword = Annotated[
    str, StringConstraints(min_length=1, max_length=128, strip_whitespace=False)
]
