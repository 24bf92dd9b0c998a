"""Real server processes for tests: `python server.py serve` on a free port, as a user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(
    process: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not start listening")


def start_server(
    tmp_path: Path,
    port: int | None = None,
    config_extra: str = "",
    args: tuple[str, ...] = (),
    *,
    env: dict[str, str] | None = None,
    bcrypt_rounds: int = 4,
    sections: str = "",
    embedder: str = "hashing",
) -> tuple[subprocess.Popen[bytes], str]:
    """One worker on the SQLite database in tmp_path (the hashing embedder, cheap bcrypt); its
    output goes to tmp_path/server.log. Returns the process and its base URL. Starting again
    with the same tmp_path reuses the database and the JWT secret (a restart).
    `config_extra` goes into its config.toml after the top-level keys and before [matching]
    (top-level keys, then sections, e.g. 'redis_url = "..."\\n[http]\\nread_timeout = 1');
    `sections` is appended after [matching] (e.g. "[auth]\\nhash_queue = 4\\n");
    `args` are added to the `serve` command line (e.g. "--workers", "2"); `env` adds
    environment variables (e.g. TRUSTED_PROXIES, REDIS_URL); `embedder` "sentence-transformers"
    loads the real model."""
    port = port or free_port()
    config_path = tmp_path / "config.toml"
    if "[uploads]" not in config_extra + sections:  # never the checkout's var/uploads
        sections += f'[uploads]\ndir = "{tmp_path}/uploads"\n'
    config_path.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path}/app.db"\n'
        f'jwt_secret_file = "{tmp_path}/secret"\nbcrypt_rounds = {bcrypt_rounds}\n'
        f"{config_extra}\n"
        f'[matching]\nembedder = "{embedder}"\n' + sections
    )
    excluded = {"DATABASE_URL", "REDIS_URL", "PORT", "TRUSTED_PROXIES", "ADMIN_EMAILS"}
    env = {k: v for k, v in os.environ.items() if k not in excluded} | (env or {})
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "server.py",
                "serve",
                "--port",
                str(port),
                "--config",
                str(config_path),
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_until_serving(process, port, log_path)
    return process, f"http://127.0.0.1:{port}"


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
