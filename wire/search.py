"""The `highlight` of a search hit: an excerpt of the message as safe HTML.

Everything in it is HTML-escaped except the `<mark>`…`</mark>` pairs around the words that
matched, so a client may insert it as HTML (or strip the two tags for plain text)."""

from __future__ import annotations

import html
import re

from domain.search import fold

EXCERPT_CHARS = 200
CONTEXT_BEFORE = 60
_WORD = re.compile(r"[^\W_]+")


def _window(content: str, first: int) -> tuple[int, int]:
    if len(content) <= EXCERPT_CHARS:
        return 0, len(content)
    start = max(0, first - CONTEXT_BEFORE)
    if start > 0:  # begin at a word, not inside one
        space = content.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    return start, min(len(content), start + EXCERPT_CHARS)


def highlight(content: str, terms: list[str]) -> str:
    folded_terms = [fold(term) for term in terms]
    spans = [
        (match.start(), match.end())
        for match in _WORD.finditer(content)
        if any(fold(match.group()).startswith(term) for term in folded_terms)
    ]
    start, end = _window(content, spans[0][0] if spans else 0)
    parts = ["…"] if start > 0 else []
    position = start
    for left, right in spans:
        if right <= start or left >= end:
            continue
        left, right = max(left, start), min(right, end)
        parts += [html.escape(content[position:left]), "<mark>"]
        parts += [html.escape(content[left:right]), "</mark>"]
        position = right
    parts.append(html.escape(content[position:end]))
    if end < len(content):
        parts.append("…")
    return "".join(parts)
