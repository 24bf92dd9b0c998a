"""The one configuration reader: config.toml, then environment, then explicit arguments."""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG = PROJECT_DIR / "config.toml"
MIN_SECRET_LENGTH = 32
# Paths come from this file: config.toml, web/, the migrations and .jwt-secret live in the source
# checkout, so a wheel installed into site-packages has none of them.
NOT_A_CHECKOUT = (
    f"no config.toml in {PROJECT_DIR}: StudySync runs from its source checkout (or an editable "
    "install, `pip install -e .`); a non-editable install is not supported (see README)"
)

ENV_OVERRIDES = {
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "REDIS_PREFIX": "redis_prefix",
    "JWT_SECRET_KEY": "jwt_secret",
    "HOST": "host",
    "PORT": "port",
    "STUDYSYNC_ENVIRONMENT": "environment",
    "LOG_LEVEL": "log_level",
}
# Settings inside a section: env variable -> (section, key).
SECTION_ENV_OVERRIDES = {
    "TRUSTED_PROXIES": ("http", "trusted_proxies"),
    "SEND_RATE_PER_MINUTE": ("chat", "send_rate_per_minute"),
    "LOGIN_MAX_FAILURES": ("login_throttle", "max_failures"),
    "ADMIN_EMAILS": ("accounts", "admins"),
    "REQUIRE_VERIFIED_EMAIL": ("accounts", "require_verified_email"),
}


class ConfigError(RuntimeError):
    """The configuration cannot start a server."""


@dataclass(frozen=True)
class ThrottleSettings:
    max_failures: int = 5
    window_seconds: int = 900


@dataclass(frozen=True)
class ChatSettings:
    max_content_chars: int = 4000
    send_rate_per_minute: int = 120
    max_connections_per_user: int = 20  # open /chat sockets per user, across all workers
    history_reads_per_user: int = 2  # history pages a user reads at once, per worker ...
    history_queue_per_user: int = 32  # ... and may wait; beyond that 429 rate_limited


@dataclass(frozen=True)
class MatchingSettings:
    model: str = ""
    embedder: str = "sentence-transformers"
    weight_subjects: float = 0.4
    weight_schedule: float = 0.3
    weight_style: float = 0.2
    weight_performance: float = 0.1
    threshold: float = 0.5
    model_wait_seconds: float = 10.0


@dataclass(frozen=True)
class HttpSettings:
    trusted_proxies: tuple[str, ...] = ()  # addresses or CIDRs whose X-Forwarded-For we believe
    read_timeout: float = 30.0  # seconds for a request's headers, and for its body
    socket_connect_timeout: float = 10.0  # seconds an engine.io socket may stay off /chat

    def __post_init__(self) -> None:
        for entry in self.trusted_proxies:  # a typo must stop the start, not 500 every login
            ipaddress.ip_network(entry.strip(), strict=False)  # ValueError -> ConfigError


@dataclass(frozen=True)
class AuthSettings:
    hash_concurrency: int = 2  # bcrypt hashes running at once (a dedicated thread pool)
    hash_queue: int = 64  # bcrypt jobs allowed to wait; beyond that 503 busy + Retry-After

    def __post_init__(self) -> None:
        if self.hash_concurrency < 1 or self.hash_queue < 0:
            raise ValueError("hash_concurrency must be at least 1 and hash_queue at least 0")


@dataclass(frozen=True)
class AccountsSettings:
    admins: tuple[str, ...] = ()  # emails of the accounts allowed on admin routes
    require_verified_email: bool = False


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 5000
    database_url: str = "sqlite+aiosqlite:///studysync.db"
    redis_url: str = ""
    redis_prefix: str = "studysync"
    jwt_secret: str = ""
    jwt_secret_file: str = ".jwt-secret"
    jwt_expiry_hours: int = 168
    email_domain_suffix: str = ".edu"
    bcrypt_rounds: int = 12
    max_body_bytes: int = 1_048_576
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    log_json: bool = False
    login_throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    chat: ChatSettings = field(default_factory=ChatSettings)
    matching: MatchingSettings = field(default_factory=MatchingSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    accounts: AccountsSettings = field(default_factory=AccountsSettings)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_SECTIONS: dict[str, Any] = {
    "login_throttle": ThrottleSettings,
    "chat": ChatSettings,
    "matching": MatchingSettings,
    "http": HttpSettings,
    "auth": AuthSettings,
    "accounts": AccountsSettings,
}


def _comma_list(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(str(item).strip() for item in items if str(item).strip())


def _typed(kind: str, value: Any) -> Any:
    """Environment values arrive as strings; the TOML file gives them typed already."""
    if kind.startswith("tuple"):
        return _comma_list(value)
    if not isinstance(value, str):
        return value
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value.lower() in {"1", "true", "yes", "on"}
    return value


def _section(name: str, raw: dict[str, Any]) -> Any:
    kind = _SECTIONS[name]
    types = {f.name: str(f.type) for f in fields(kind)}
    unknown = sorted(set(raw) - set(types))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in [{name}]")
    try:
        return kind(**{key: _typed(types[key], value) for key, value in raw.items()})
    except ValueError as error:
        raise ConfigError(f"invalid value in [{name}]: {error}") from None


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}.get(name)
    if kind == "int":
        return int(value)
    if kind == "bool" and isinstance(value, str):
        return value.lower() in {"1", "true", "yes", "on"}
    if name == "cors_origins":
        return _comma_list(value)
    return value


def load_settings(
    config_path: str | Path | None = None,
    environ: dict[str, str] | None = None,
    **explicit: Any,
) -> Settings:
    """Build settings from the config file, the environment, then explicit non-None arguments."""
    environ = dict(os.environ if environ is None else environ)
    if not DEFAULT_CONFIG.exists():
        raise ConfigError(NOT_A_CHECKOUT)
    path = Path(config_path) if config_path else DEFAULT_CONFIG
    raw: dict[str, Any] = tomllib.loads(path.read_text()) if path.exists() else {}
    values: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if key in _SECTIONS:
            sections[key] = dict(value)
        elif key in {f.name for f in fields(Settings)}:
            values[key] = _coerce(key, value)
        else:
            raise ConfigError(f"unknown setting {key!r} in {path}")
    for env_name, key in ENV_OVERRIDES.items():
        if environ.get(env_name):
            values[key] = _coerce(key, environ[env_name])
    for env_name, (section, key) in SECTION_ENV_OVERRIDES.items():
        if environ.get(env_name):
            sections.setdefault(section, {})[key] = environ[env_name]
    values.update({name: _section(name, raw_section) for name, raw_section in sections.items()})
    values.update({k: _coerce(k, v) for k, v in explicit.items() if v is not None})
    return Settings(**values)


def resolve_jwt_secret(settings: Settings) -> Settings:
    """Return settings with a usable JWT secret, or refuse to start in production.

    Development installs get a random secret generated once and kept in a local file, so tokens
    survive restarts without anyone shipping a hard-coded default.
    """
    if settings.jwt_secret:
        if settings.is_production and len(settings.jwt_secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"JWT_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        return settings
    if settings.is_production:
        raise ConfigError("JWT_SECRET_KEY is required when environment = 'production'")
    secret_path = Path(settings.jwt_secret_file)
    if not secret_path.is_absolute():
        secret_path = PROJECT_DIR / secret_path
    if not secret_path.exists():
        secret_path.write_text(secrets.token_urlsafe(48))
        secret_path.chmod(0o600)
    return settings.with_overrides(jwt_secret=secret_path.read_text().strip())
