from __future__ import annotations

from pathlib import Path

import pytest

from settings import ConfigError, load_settings, resolve_jwt_secret


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_precedence_file_then_environment_then_arguments(tmp_path: Path) -> None:
    config = _config(tmp_path, 'port = 6000\nhost = "0.0.0.0"\n[chat]\nmax_content_chars = 10\n')
    settings = load_settings(
        config, environ={"PORT": "7000", "DATABASE_URL": "sqlite+aiosqlite:///x.db"}
    )
    assert settings.port == 7000 and settings.host == "0.0.0.0"
    assert settings.database_url == "sqlite+aiosqlite:///x.db"
    assert settings.chat.max_content_chars == 10
    explicit = load_settings(config, environ={"PORT": "7000"}, port=8000)
    assert explicit.port == 8000


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="colour"):
        load_settings(_config(tmp_path, 'colour = "blue"\n'), environ={})


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    settings = load_settings(environ={}).with_overrides(jwt_secret_file=str(secret_file))
    first = resolve_jwt_secret(settings).jwt_secret
    second = resolve_jwt_secret(settings).jwt_secret
    assert first == second and len(first) >= 32
    assert secret_file.stat().st_mode & 0o777 == 0o600


def test_production_refuses_missing_or_weak_secret(tmp_path: Path) -> None:
    production = load_settings(environ={"STUDYSYNC_ENVIRONMENT": "production"}).with_overrides(
        jwt_secret_file=str(tmp_path / "never-written")
    )
    with pytest.raises(ConfigError, match="required"):
        resolve_jwt_secret(production)
    with pytest.raises(ConfigError, match="at least"):
        resolve_jwt_secret(production.with_overrides(jwt_secret="short"))
    assert not (tmp_path / "never-written").exists()
    assert resolve_jwt_secret(production.with_overrides(jwt_secret="s" * 40)).jwt_secret == "s" * 40
