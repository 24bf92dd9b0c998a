"""`server.py check-config`: the effective configuration as TOML, secrets masked."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any

from commands.preflight import masked_url
from settings import Settings

MASK = "***"
# Names that hold a secret (jwt_secret, metrics_token, smtp password, vapid_private_key, ...).
SECRET_WORDS = ("secret", "token", "password", "private_key", "api_key")
# Generated on first start; the setting that names the file is not itself a secret.
NOT_SECRET = {"jwt_secret_file"}


def is_secret(name: str) -> bool:
    return name not in NOT_SECRET and any(word in name for word in SECRET_WORDS)


def _shown(name: str, value: Any) -> Any:
    if isinstance(value, str) and value and is_secret(name):
        return MASK
    if isinstance(value, str) and "://" in value:
        return masked_url(value)  # database_url, redis_url, smtp_url: hide the password
    return list(value) if isinstance(value, tuple) else value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    return repr(value)


def render(settings: Settings) -> str:
    """Top-level keys, then one table per section, like config.toml."""
    top: list[str] = []
    tables: list[str] = []
    for item in fields(settings):
        value = getattr(settings, item.name)
        if is_dataclass(value):
            tables.append(f"\n[{item.name}]")
            tables.extend(
                f"{sub.name} = {_toml_value(_shown(sub.name, getattr(value, sub.name)))}"
                for sub in fields(value)
            )
        else:
            top.append(f"{item.name} = {_toml_value(_shown(item.name, value))}")
    return "\n".join(top + tables) + "\n"


def describe_secret(settings: Settings) -> str:
    if settings.jwt_secret:
        return "JWT secret: set (masked)"
    return f"JWT secret: from {settings.jwt_secret_file} (generated on first start if missing)"
