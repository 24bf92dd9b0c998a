"""Log formatting keeps one record on one line whatever a request puts into it."""

from __future__ import annotations

import json
import logging
import sys

from api.observability import EscapingFormatter, JsonFormatter, accepted_request_id, escape_for_log


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad\nFORGED line")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("t", logging.INFO, __file__, 1, message, args, exc_info)


def test_control_and_invisible_characters_are_escaped() -> None:
    assert escape_for_log("plain é 😀") == "plain é 😀"
    assert escape_for_log("a\nb\rc\td\x00e\x1b\u2028\u200b\\") == (
        "a\\nb\\rc\\td\\x00e\\x1b\\u2028\\u200b\\\\"
    )


def test_text_records_stay_one_line_and_tracebacks_are_indented() -> None:
    text = EscapingFormatter("%(levelname)s %(message)s").format(
        record("GET %s", "/x\nFORGED 200", exc=True)
    )
    first, *rest = text.splitlines()
    assert first == "INFO GET /x\\nFORGED 200"
    assert rest and all(line.startswith("    ") for line in rest)


def test_json_records_escape_the_message() -> None:
    entry = json.loads(JsonFormatter().format(record("GET %s", "/x\u2028y")))
    assert entry["msg"] == "GET /x\\u2028y"


def test_request_ids_are_plain_tokens() -> None:
    assert accepted_request_id("trace-1.2_A") == "trace-1.2_A"
    for bad in ["", "a b", "x" * 65, "a\n", "é", "a/b"]:
        replaced = accepted_request_id(bad)
        assert replaced != bad and len(replaced) == 32
