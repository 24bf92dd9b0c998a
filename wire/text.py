"""The text rule's pydantic field types, shared by the REST models (api/) and the socket
payloads (realtime/payloads.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from domain.text import check_text

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

# Chat fields.
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=64), SingleLine]
Content = Annotated[str, StringConstraints(max_length=20000), MultiLine]
ImageUrl = Annotated[str, StringConstraints(max_length=2048), SingleLine]
# In characters (the column holds 32); the service checks it is one emoji (domain/chat.py).
Emoji = Annotated[str, StringConstraints(min_length=1, max_length=32), SingleLine]
