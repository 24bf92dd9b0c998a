"""The CLI as an operator meets it: every misconfiguration is one line on stderr and exit 2."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from server import build_parser
from settings import project_version
from tests.processes import ROOT, free_port

CLEARED = {"DATABASE_URL", "REDIS_URL", "PORT", "HOST", "JWT_SECRET_KEY", "STUDYSYNC_ENVIRONMENT"}


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in CLEARED} | (env or {})
    return subprocess.run(
        [sys.executable, "server.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.returncode == 2, result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path


def _config(directory: Path, text: str) -> str:
    path = directory / "config.toml"
    path.write_text(f'database_url = "sqlite+aiosqlite:///{directory}/app.db"\n{text}')
    return str(path)


@pytest.mark.parametrize(
    ("text", "env", "words"),
    [
        ("port = \n", {}, ("not valid TOML", "line 2")),
        ('colour = "blue"\n', {}, ("unknown setting 'colour'",)),
        ("[chat]\ncolour = 1\n", {}, ("unknown setting 'colour' in [chat]",)),
        ("[matching]\nembedder = 3\n", {}, ("[matching] embedder must be a string",)),
        ('port = "abc"\n', {}, ("port must be an integer", "'abc'")),
        ('host = ["a", "b"]\n', {}, ("host must be a string, got a list",)),
        ("", {"PORT": "abc"}, ("port must be an integer", "'abc'")),
        ("", {"DATABASE_URL": "postgresql://db/x"}, ("unsupported DATABASE_URL scheme",)),
        ("[http]\ntrusted_proxies = ['nginx.local']\n", {}, ("[http]", "nginx.local")),
    ],
)
def test_a_bad_configuration_is_one_line_and_exit_2(
    config_dir: Path, text: str, env: dict[str, str], words: tuple[str, ...]
) -> None:
    result = run_cli("serve", "--config", _config(config_dir, text), env=env)
    assert_one_line_failure(result, *words)


@pytest.mark.parametrize("command", [["migrate"], ["check-config"], ["backup", "--output", "x"]])
def test_every_command_reads_the_configuration_the_same_way(
    config_dir: Path, command: list[str]
) -> None:
    result = run_cli(command[0], "--config", _config(config_dir, "port = \n"), *command[1:])
    assert_one_line_failure(result, "not valid TOML")


@pytest.mark.parametrize("command", ["serve", "migrate", "check-config", "backup", "restore"])
def test_a_missing_config_file_is_refused(tmp_path: Path, command: str) -> None:
    extra = {"backup": ["--output", str(tmp_path / "b.tar.gz")], "restore": ["x.tar.gz"]}
    result = run_cli(command, "--config", str(tmp_path / "nowhere.toml"), *extra.get(command, []))
    assert_one_line_failure(result, "config file not found", "nowhere.toml")


def _closed_port() -> int:
    return free_port()  # bound and released: nothing listens there


@pytest.mark.parametrize(
    "args", [("migrate",), ("serve",), ("serve", "--no-migrate"), ("seed-demo", "--users", "1")]
)
def test_an_unreachable_mariadb_is_one_line(config_dir: Path, args: tuple[str, ...]) -> None:
    url = f"mysql+asyncmy://root:hunter2@127.0.0.1:{_closed_port()}/studysync"
    port = str(free_port())
    extra = ("--port", port) if args[0] == "serve" else ()
    result = run_cli(*args, *extra, "--config", _config(config_dir, ""), env={"DATABASE_URL": url})
    assert_one_line_failure(result, "unreachable", "Can't connect")
    assert "hunter2" not in result.stderr and "root:***@" in result.stderr


def test_an_sqlite_file_in_a_missing_directory_is_one_line(config_dir: Path) -> None:
    url = f"sqlite+aiosqlite:///{config_dir}/no/such/dir/app.db"
    result = run_cli("migrate", "--config", _config(config_dir, ""), env={"DATABASE_URL": url})
    assert_one_line_failure(result, "unable to open database file")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]])
def test_a_port_in_use_is_one_line(config_dir: Path, busy_port: int, workers: list[str]) -> None:
    config = _config(config_dir, "")
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0"} if workers else {}
    result = run_cli("serve", "--config", config, "--port", str(busy_port), *workers, env=env)
    assert_one_line_failure(result, f"cannot listen on 127.0.0.1:{busy_port}", "in use")
    assert not (config_dir / "app.db").exists()  # refused before migrating anything


def test_a_usage_error_is_one_line() -> None:
    assert_one_line_failure(run_cli("serve", "--port", "abc"), "invalid int value: 'abc'")
    assert_one_line_failure(run_cli("no-such-command"), "invalid choice")


def test_version_is_the_projects() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"studysync {project_version()}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project_version() == pyproject["project"]["version"]


def _options(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                yield from ((f"{name} {opt}", sub) for opt, sub in _options(subparser))
        elif not isinstance(action, argparse._HelpAction | argparse._VersionAction):
            yield action.dest, action


def test_every_option_has_help_naming_its_default() -> None:
    options = list(_options(build_parser()))
    assert len(options) > 15
    for name, action in options:
        assert action.help, name
        assert "default" in action.help or "required" in action.help, name


def test_check_config_prints_the_effective_configuration_with_secrets_masked(
    config_dir: Path,
) -> None:
    secrets = {
        "JWT_SECRET_KEY": "jwt-" + "s" * 40,
        "DATABASE_URL": "mysql+asyncmy://studysync:db-pass-123@db.internal:3306/studysync",
        "REDIS_URL": "redis://:redis-pass-456@cache:6379/0",
        "STUDYSYNC_ENVIRONMENT": "production",
    }
    result = run_cli("check-config", "--config", _config(config_dir, "port = 6123\n"), env=secrets)
    assert result.returncode == 0, result.stderr
    for secret in ("s" * 40, "db-pass-123", "redis-pass-456"):
        assert secret not in result.stdout
    printed = tomllib.loads(result.stdout)
    assert printed["port"] == 6123 and printed["environment"] == "production"
    assert printed["jwt_secret"] == "***"
    assert printed["database_url"] == "mysql+asyncmy://studysync:***@db.internal:3306/studysync"
    assert printed["redis_url"] == "redis://:***@cache:6379/0"
    assert printed["chat"]["max_content_chars"] == 4000


def test_check_config_in_production_refuses_a_weak_secret(config_dir: Path) -> None:
    env = {"STUDYSYNC_ENVIRONMENT": "production", "JWT_SECRET_KEY": "short"}
    result = run_cli("check-config", "--config", _config(config_dir, ""), env=env)
    assert_one_line_failure(result, "JWT_SECRET_KEY must be at least")
