"""The one rule for user text (api.md "Limits that hold under concurrency").

No control characters (C0, C1, DEL), no line or paragraph separators (U+2028/2029), no lone
surrogates; a newline or tab only where the field is multi-line (message content, descriptions);
and no text made only of invisible characters (whitespace, zero-width and other format
characters, fillers). The transports apply it to every field (api/schemas.py); the domain applies
it where it checks text itself (message content, emails)."""

from __future__ import annotations

import unicodedata

MULTI_LINE_ALLOWED = frozenset("\n\t")
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Characters that render as nothing although Unicode does not class them as space or format.
_BLANK_LETTERS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0" + "".join(map(chr, range(0xFE00, 0xFE10)))
)


def forbidden_character(text: str, *, multi_line: bool = False) -> str | None:
    """The first character the rule refuses, or None."""
    allowed = MULTI_LINE_ALLOWED if multi_line else frozenset()
    for char in text:
        if unicodedata.category(char) in _REFUSED_CATEGORIES and char not in allowed:
            return char
    return None


def is_invisible_char(char: str) -> bool:
    return (
        char.isspace()
        or unicodedata.category(char) == "Cf"
        or char in _BLANK_LETTERS
        or 0xE0100 <= ord(char) <= 0xE01EF  # variation selectors supplement
    )


def is_blank(text: str) -> bool:
    """True for "" and for text made only of invisible characters."""
    return all(is_invisible_char(char) for char in text)


def check_text(text: str, *, multi_line: bool = False) -> str:
    """The text unchanged, or ValueError saying what is wrong (pydantic reports it per field)."""
    bad = forbidden_character(text, multi_line=multi_line)
    if bad is not None:
        where = "" if multi_line else " or line breaks"
        raise ValueError(f"must not contain control characters{where} (found U+{ord(bad):04X})")
    if text and is_blank(text):
        raise ValueError("must not be made only of invisible characters")
    return text
