"""Who a log line is about: the request id and user id of the request or socket event being
handled (contextvars, so every task has its own). Set by the transports, read by the log
formatters (api/observability.py)."""

from __future__ import annotations

import contextvars

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="-")
