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


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        ("port = ", {}, "is not valid TOML"),
        ('port = "abc"\n', {}, r"port must be an integer, got a string \('abc'\)"),
        ('port = "5000"\n', {}, "port must be an integer"),
        ("port = 70000\n", {}, "port must be between 1 and 65535"),
        ("host = [1, 2]\n", {}, "host must be a string, got a list"),
        ("log_json = 1\n", {}, "log_json must be true or false"),
        ("[chat]\nmax_content_chars = 1.5\n", {}, r"\[chat\] max_content_chars must be an integer"),
        (
            '[http]\ntrusted_proxies = "10.0.0.1"\n[http.x]\n',
            {},
            r"unknown setting 'x' in \[http\]",
        ),
        ("[chat]\ncolour = 1\n", {}, r"unknown setting 'colour' in \[chat\]"),
        ("chat = 5\n", {}, r"\[chat\] must be a table"),
        ("[accounts]\nadmins = [1]\n", {}, "admins must be a list of strings"),
        ("", {"PORT": "abc"}, "port must be an integer, got 'abc'"),
        ("", {"SEND_RATE_PER_MINUTE": "lots"}, "send_rate_per_minute must be an integer"),
        ("", {"REQUIRE_VERIFIED_EMAIL": "maybe"}, "must be true or false"),
        ("", {"DATABASE_URL": "postgresql://db/x"}, "unsupported DATABASE_URL scheme 'postgresql'"),
        ("", {"DATABASE_URL": "sqlite:///x.db"}, "unsupported DATABASE_URL scheme 'sqlite'"),
        ("", {"REDIS_URL": "http://cache"}, "unsupported REDIS_URL scheme 'http'"),
        ("", {"STUDYSYNC_ENVIRONMENT": "prod"}, "environment must be one of"),
        ("", {"LOG_LEVEL": "LOUD"}, "log_level must be"),
    ],
)
def test_each_misconfiguration_is_one_config_error(
    tmp_path: Path, text: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(_config(tmp_path, text), environ=environ)
    assert "\n" not in str(caught.value)


def test_a_missing_config_file_is_refused_not_replaced_by_defaults(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found: .*nowhere.toml"):
        load_settings(tmp_path / "nowhere.toml", environ={})


def test_environment_strings_are_parsed_as_the_setting_type(tmp_path: Path) -> None:
    settings = load_settings(
        _config(tmp_path, "[chat]\nsend_rate_per_minute = 5\n"),
        environ={"SEND_RATE_PER_MINUTE": "9", "REQUIRE_VERIFIED_EMAIL": "off", "PORT": "6001"},
    )
    assert settings.chat.send_rate_per_minute == 9 and settings.port == 6001
    assert settings.accounts.require_verified_email is False
    assert load_settings(environ={"REQUIRE_VERIFIED_EMAIL": "Yes"}).accounts.require_verified_email


def test_the_version_is_pyprojects() -> None:
    import tomllib

    from settings import PROJECT_DIR, project_version

    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    assert project_version() == pyproject["project"]["version"]
