"""The one configuration reader: config.toml, then environment, then explicit arguments."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    "METRICS_TOKEN": ("http", "metrics_token"),
    "SEND_RATE_PER_MINUTE": ("chat", "send_rate_per_minute"),
    "LOGIN_MAX_FAILURES": ("login_throttle", "max_failures"),
    "ADMIN_EMAILS": ("accounts", "admins"),
    "REQUIRE_VERIFIED_EMAIL": ("accounts", "require_verified_email"),
    "LOG_FORMAT": ("logging", "format"),
    "UPLOADS_DIR": ("uploads", "dir"),
    "UPLOADS_MAX_BYTES": ("uploads", "max_bytes"),
    "UPLOADS_MAX_PIXELS": ("uploads", "max_pixels"),
    "UPLOADS_QUOTA_MB": ("uploads", "quota_mb"),
    "UPLOADS_S3_URL": ("uploads", "s3_url"),
    # issue 17: push
    "PUSH_ALLOW_HTTP": ("push", "allow_http_endpoints"),
    "VAPID_PRIVATE_KEY": ("push", "vapid_private_key"),
    "VAPID_KEY_FILE": ("push", "vapid_key_file"),
    "VAPID_CONTACT": ("push", "vapid_contact"),
    "PUSH_TTL_SECONDS": ("push", "ttl_seconds"),
    "PUSH_WORKERS": ("push", "workers"),
    "PUSH_QUEUE": ("push", "queue_size"),
    "FCM_SERVICE_ACCOUNT_FILE": ("push", "fcm_service_account_file"),
    "FCM_BASE_URL": ("push", "fcm_base_url"),
    "APNS_KEY_FILE": ("push", "apns_key_file"),
    "APNS_KEY_ID": ("push", "apns_key_id"),
    "APNS_TEAM_ID": ("push", "apns_team_id"),
    "APNS_TOPIC": ("push", "apns_topic"),
    "APNS_BASE_URL": ("push", "apns_base_url"),
    "SMTP_URL": ("email", "smtp_url"),
    "EMAIL_FROM": ("email", "from"),
    "PUBLIC_URL": ("email", "public_url"),
    "OUTBOX_DIR": ("email", "outbox_dir"),
}


# The drivers storage/engine.py configures; anything else fails later with a driver traceback.
DATABASE_SCHEMES = ("sqlite+aiosqlite", "mysql+asyncmy")
REDIS_SCHEMES = ("redis", "rediss", "unix")
SMTP_SCHEMES = ("smtp", "smtps", "smtp+starttls")
# TOML keys that are Python keywords: (section, key in the file) -> field name.
KEY_ALIASES = {("email", "from"): "from_address"}
ENVIRONMENTS = ("development", "production")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """The configuration cannot start a server."""


@lru_cache(maxsize=1)
def project_version() -> str:
    """The one version: pyproject.toml's `version` in the checkout (the server runs from it),
    else the installed distribution's metadata. /api/health and `--version` both call this."""
    pyproject = PROJECT_DIR / "pyproject.toml"
    if pyproject.exists():
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])
    try:
        return metadata.version("studysync")
    except metadata.PackageNotFoundError:
        return "unknown"


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
    room_channels: bool = True  # per-room Redis channels (Redis >= 7); false: one channel


@dataclass(frozen=True)
class MatchingSettings:
    model: str = ""
    embedder: str = "sentence-transformers"
    weight_subjects: float = 0.35  # api.md "Matching, second version" (Weights.contract())
    weight_schedule: float = 0.25
    weight_style: float = 0.20
    weight_goals: float = 0.10  # left out, the others renormalised, when a side lists no goals
    weight_performance: float = 0.10
    threshold: float = 0.5
    model_wait_seconds: float = 10.0
    dismiss_days: int = 30  # a dismissed card stays hidden this long (POST /api/recommend/dismiss)

    def __post_init__(self) -> None:
        if isinstance(self.dismiss_days, bool) or not 1 <= self.dismiss_days <= 3650:
            raise ValueError("[matching] dismiss_days must be an integer from 1 to 3650")


@dataclass(frozen=True)
class HttpSettings:
    trusted_proxies: tuple[str, ...] = ()  # addresses or CIDRs whose X-Forwarded-For we believe
    read_timeout: float = 30.0  # seconds for a request's headers; the longest pause in a body
    body_timeout: float = 300.0  # seconds a body may take in all (a 10 MiB upload at ~35 KB/s)
    socket_connect_timeout: float = 10.0  # seconds an engine.io socket may stay off /chat
    metrics_token: str = ""  # when set, /metrics needs Authorization: Bearer <it>

    def __post_init__(self) -> None:
        for entry in self.trusted_proxies:  # a typo must stop the start, not 500 every login
            ipaddress.ip_network(entry.strip(), strict=False)  # ValueError -> ConfigError
        if self.read_timeout > 0 and not self.body_timeout >= self.read_timeout:
            raise ValueError("[http] body_timeout must be at least read_timeout")


@dataclass(frozen=True)
class LoggingSettings:
    format: str = "text"  # or "json": one JSON object per line (LOG_FORMAT)

    def __post_init__(self) -> None:
        if self.format not in ("text", "json"):
            raise ValueError(f"format must be text or json, got {self.format!r}")


@dataclass(frozen=True)
class AuthSettings:
    hash_concurrency: int = 2  # bcrypt hashes running at once (a dedicated thread pool)
    hash_queue: int = 64  # bcrypt jobs allowed to wait; beyond that 503 busy + Retry-After
    refresh_days: float = 30.0  # lifetime of a refresh token (each refresh issues a new one)

    def __post_init__(self) -> None:
        if self.hash_concurrency < 1 or self.hash_queue < 0:
            raise ValueError("hash_concurrency must be at least 1 and hash_queue at least 0")
        if self.refresh_days <= 0:
            raise ValueError("refresh_days must be positive")


@dataclass(frozen=True)
class AccountsSettings:
    admins: tuple[str, ...] = ()  # emails of the accounts allowed on admin routes
    require_verified_email: bool = False
    resend_per_hour: int = 3  # verification mails a user may ask for again
    reset_mails_per_hour: int = 3  # reset mails per email address ...
    reset_requests_per_hour: int = 20  # ... and forgot/reset requests per client address
    password_failures: int = 5  # wrong current passwords (change, delete) per user ...
    password_window_seconds: int = 900  # ... in this window, then 429


DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class EmailSettings:
    smtp_url: str = ""  # empty: mail is written as .eml files to outbox_dir
    from_address: str = "StudySync <no-reply@studysync.invalid>"
    public_url: str = DEFAULT_PUBLIC_URL  # the base of links in mail (and of invite links)
    outbox_dir: str = "var/outbox"  # relative paths are inside the checkout
    verify_hours: float = 48.0
    reset_minutes: float = 60.0

    def __post_init__(self) -> None:
        # A typo must stop the start, not fail every mail later.
        if self.smtp_url and (
            _scheme(self.smtp_url) not in SMTP_SCHEMES or not urlsplit(self.smtp_url).hostname
        ):
            raise ValueError(
                "smtp_url must look like smtp://host:port, smtps://user:pass@host:465 or "
                "smtp+starttls://user:pass@host:587"
            )
        if _scheme(self.public_url) not in ("http", "https"):
            raise ValueError(f"public_url must be an http(s) URL, got {self.public_url!r}")
        if self.verify_hours <= 0 or self.reset_minutes <= 0:
            raise ValueError("verify_hours and reset_minutes must be positive")

    def public_base(self) -> str | None:
        """`public_url` without its trailing slash, or None while it is the default (then a
        link shown in an answer is better built on the request's own origin)."""
        if self.public_url.rstrip("/") == DEFAULT_PUBLIC_URL:
            return None
        return self.public_url.rstrip("/")

    def outbox_path(self) -> Path:
        path = Path(self.outbox_dir)
        return path if path.is_absolute() else PROJECT_DIR / path


@dataclass(frozen=True)
class UploadsSettings:
    dir: str = "var/uploads/"  # the local blob store; relative paths are under the checkout
    max_bytes: int = 10 * 1024 * 1024  # per upload, refused while streaming (413)
    max_pixels: int = 40_000_000  # width x height (x frames): more is a bomb (422)
    quota_mb: int = 500  # stored bytes (images + thumbnails) per user (409)
    s3_url: str = ""  # future: an S3-compatible bucket; not built yet (refused when set)
    workers: int = 2  # threads decoding and re-encoding images off the event loop

    def __post_init__(self) -> None:
        if self.s3_url:
            raise ValueError(
                "s3_url is not supported yet (future work, docs/chat.md): leave it empty "
                "to store uploads in [uploads] dir"
            )
        if self.max_bytes < 1 or self.max_pixels < 1 or self.quota_mb < 0 or self.workers < 1:
            raise ValueError("max_bytes, max_pixels and workers must be positive, quota_mb >= 0")

    @property
    def path(self) -> Path:
        root = Path(self.dir)
        return root if root.is_absolute() else PROJECT_DIR / root

    @property
    def quota_bytes(self) -> int:
        return self.quota_mb * 1024 * 1024


@dataclass(frozen=True)
class PushSettings:
    """Web Push (VAPID) and the native senders (docs/notifications.md)."""

    vapid_private_key: str = ""  # PEM or base64url; empty: generated once into vapid_key_file
    vapid_key_file: str = ".vapid-key"
    vapid_contact: str = "mailto:admin@studysync.invalid"  # the JWT `sub` push services see
    allow_http_endpoints: bool = False  # tests only: http and private/loopback endpoints
    ttl_seconds: int = 86400
    workers: int = 2  # concurrent push workers per process
    queue_size: int = 1000  # events waiting to be pushed; beyond that dropped (counted)
    fcm_service_account_file: str = ""  # empty: no FCM sender (fcm subscriptions are skipped)
    fcm_base_url: str = "https://fcm.googleapis.com"
    apns_key_file: str = ""  # the .p8 token key; empty: no APNs sender
    apns_key_id: str = ""
    apns_team_id: str = ""
    apns_topic: str = ""  # the app's bundle id
    apns_base_url: str = "https://api.push.apple.com"

    def __post_init__(self) -> None:
        if not 0 <= self.ttl_seconds <= 28 * 86400:
            raise ValueError("ttl_seconds must be between 0 and 2419200 (28 days)")
        if self.workers < 1 or self.queue_size < 1:
            raise ValueError("workers and queue_size must be at least 1")
        if not self.vapid_contact.startswith(("mailto:", "https:")):
            raise ValueError("vapid_contact must be a mailto: or https: URI")


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
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    uploads: UploadsSettings = field(default_factory=UploadsSettings)
    push: PushSettings = field(default_factory=PushSettings)
    email: EmailSettings = field(default_factory=EmailSettings)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def logs_as_json(self) -> bool:
        """`[logging] format = "json"` (LOG_FORMAT=json), or the older `log_json = true`."""
        return self.log_json or self.logging.format == "json"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_SECTIONS: dict[str, Any] = {
    "login_throttle": ThrottleSettings,
    "chat": ChatSettings,
    "matching": MatchingSettings,
    "http": HttpSettings,
    "auth": AuthSettings,
    "accounts": AccountsSettings,
    "logging": LoggingSettings,
    "uploads": UploadsSettings,
    "push": PushSettings,
    "email": EmailSettings,
}


def _comma_list(where: str, value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{where} must be a list of strings, got {_shown(value)}")
    return tuple(item.strip() for item in items if item.strip())


def _shown(value: Any) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    kind.update({list: "a list", dict: "a table"})
    return f"{kind.get(type(value), type(value).__name__)} ({value!r})"[:120]


def _from_text(where: str, kind: str, text: str) -> Any:
    """Environment values arrive as strings: parse them as the setting's type."""
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise ConfigError(
            f"{where} must be {'an integer' if kind == 'int' else 'a number'}, got {text!r}"
        ) from None
    if kind == "bool":
        if text.strip().lower() not in TRUE_WORDS | FALSE_WORDS:
            raise ConfigError(f"{where} must be true or false, got {text!r}")
        return text.strip().lower() in TRUE_WORDS
    return text


def _typed(where: str, kind: str, value: Any, *, from_env: bool = False) -> Any:
    """Check a TOML value against the setting's declared type (`kind`, e.g. "int")."""
    if kind.startswith("tuple"):
        return _comma_list(where, value)
    if from_env:
        return _from_text(where, kind, value)
    expected: dict[str, tuple[type, ...]] = {
        "int": (int,),
        "float": (int, float),
        "bool": (bool,),
        "str": (str,),
    }
    wanted = expected.get(kind, (object,))
    if isinstance(value, bool) and bool not in wanted or not isinstance(value, wanted):
        names = {"int": "an integer", "float": "a number", "bool": "true or false"}
        raise ConfigError(f"{where} must be {names.get(kind, 'a string')}, got {_shown(value)}")
    return float(value) if kind == "float" and isinstance(value, int | float) else value


def _section(name: str, raw: Any, from_env: set[str]) -> Any:
    kind = _SECTIONS[name]
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table, got {_shown(raw)}")
    raw = {KEY_ALIASES.get((name, key), key): value for key, value in raw.items()}
    from_env = {KEY_ALIASES.get((name, key), key) for key in from_env}
    types = {f.name: str(f.type) for f in fields(kind)}
    unknown = sorted(set(raw) - set(types))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in [{name}]")
    values = {
        key: _typed(f"[{name}] {key}", types[key], value, from_env=key in from_env)
        for key, value in raw.items()
    }
    try:
        return kind(**values)
    except ValueError as error:
        raise ConfigError(f"invalid value in [{name}]: {error}") from None


def _coerce(name: str, value: Any, *, from_env: bool = False) -> Any:
    kind = {f.name: str(f.type) for f in fields(Settings)}[name]
    return _typed(name, kind, value, from_env=from_env)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


def _scheme(url: str) -> str:
    return urlsplit(url).scheme if "://" in url else ""


def _validate(settings: Settings) -> Settings:
    """Value rules beyond the type: each names the setting and what it accepts."""
    if _scheme(settings.database_url) not in DATABASE_SCHEMES:
        raise ConfigError(
            f"unsupported DATABASE_URL scheme {_scheme(settings.database_url)!r}: use "
            + " or ".join(f"{scheme}://" for scheme in DATABASE_SCHEMES)
        )
    if settings.redis_url and _scheme(settings.redis_url) not in REDIS_SCHEMES:
        raise ConfigError(
            f"unsupported REDIS_URL scheme {_scheme(settings.redis_url)!r}: use redis://, "
            "rediss:// or unix://"
        )
    if not 1 <= settings.port <= 65535:
        raise ConfigError(f"port must be between 1 and 65535, got {settings.port}")
    if settings.environment not in ENVIRONMENTS:
        raise ConfigError(
            f"environment must be one of {', '.join(ENVIRONMENTS)}, got {settings.environment!r}"
        )
    if not isinstance(logging.getLevelName(settings.log_level.upper()), int):
        raise ConfigError(
            f"log_level must be DEBUG, INFO, WARNING or ERROR, got {settings.log_level!r}"
        )
    return settings


def load_settings(
    config_path: str | Path | None = None,
    environ: dict[str, str] | None = None,
    **explicit: Any,
) -> Settings:
    """Build settings from the config file, the environment, then explicit non-None arguments.
    Every problem (a missing file, bad TOML, an unknown key, a wrong type or value) raises one
    ConfigError naming it."""
    environ = dict(os.environ if environ is None else environ)
    if not DEFAULT_CONFIG.exists():
        raise ConfigError(NOT_A_CHECKOUT)
    path = Path(config_path) if config_path else DEFAULT_CONFIG
    raw = _read_config(path)
    setting_names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _SECTIONS:
            sections[key] = value
        elif key in setting_names:
            values[key] = _coerce(key, value)
        else:
            raise ConfigError(f"unknown setting {key!r} in {path}")
    for env_name, key in ENV_OVERRIDES.items():
        if environ.get(env_name):
            values[key] = _coerce(key, environ[env_name], from_env=True)
    from_env: dict[str, set[str]] = {}
    for env_name, (section, key) in SECTION_ENV_OVERRIDES.items():
        if environ.get(env_name):
            section_values = sections.setdefault(section, {})
            if isinstance(section_values, dict):
                section_values[key] = environ[env_name]
                from_env.setdefault(section, set()).add(key)
    for name, raw_section in sections.items():
        values[name] = _section(name, raw_section, from_env.get(name, set()))
    values.update({k: _coerce(k, v) for k, v in explicit.items() if v is not None})
    return _validate(Settings(**values))


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


def resolve_vapid_key(settings: Settings) -> Settings:
    """Return settings with a VAPID private key: the configured one, else the install's own,
    generated once into `[push] vapid_key_file` (like the development JWT secret; browsers bind
    their subscriptions to its public key, so it must not change between restarts or differ
    between workers). Call before workers fork."""
    push = settings.push
    if push.vapid_private_key:
        return settings
    key_path = Path(push.vapid_key_file)
    if not key_path.is_absolute():
        key_path = PROJECT_DIR / key_path
    if not key_path.exists():
        from adapters.webpush import VapidKeys

        pem = VapidKeys.generate().private_pem()
        try:  # O_EXCL: two processes starting at once keep the first one's key
            descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(pem)
    key = key_path.read_text().strip()
    return settings.with_overrides(push=replace(push, vapid_private_key=key))
