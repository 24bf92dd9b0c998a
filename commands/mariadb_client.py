"""MariaDB's own client tools for backup and restore, run as subprocesses.

Recipe (docs/operations.md): `mariadb-dump --single-transaction --skip-lock-tables --routines
--triggers --hex-blob --default-character-set=utf8mb4 --no-tablespaces DB > database.sql`, and
`mariadb DB < database.sql` into an empty database. The password goes in a 0600 option file,
never on the command line (other users could read it in `ps`)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import PIPE
from typing import IO

from sqlalchemy.engine import URL

from settings import ConfigError

DUMP_OPTIONS = (
    "--single-transaction",  # one consistent InnoDB snapshot; writers are not blocked
    "--skip-lock-tables",
    "--routines",
    "--triggers",
    "--hex-blob",
    "--default-character-set=utf8mb4",
    "--no-tablespaces",  # needs no PROCESS privilege
)
COUNT_TABLES = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"


def _tool(*names: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    raise ConfigError(f"{names[0]} not found on PATH: install the MariaDB client tools")


@contextmanager
def _options(url: URL) -> Iterator[list[str]]:
    """Connection options, the password in a private option file (it must come first)."""
    with tempfile.NamedTemporaryFile("w", prefix="studysync-", suffix=".cnf") as option_file:
        option_file.write(f"[client]\npassword={url.password or ''}\n")
        option_file.flush()
        yield [
            f"--defaults-extra-file={option_file.name}",
            f"--host={url.host or 'localhost'}",
            f"--port={url.port or 3306}",
            f"--user={url.username or ''}",
        ]


def _run(
    command: list[str], doing: str, *, stdin: IO[bytes] | None = None, stdout: IO[bytes] | int
) -> bytes:
    result = subprocess.run(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        raise ConfigError(f"{doing} failed: {lines[-1] if lines else result.returncode}")
    return result.stdout or b""


def dump(url: URL, target: Path) -> None:
    tool = _tool("mariadb-dump", "mysqldump")
    with _options(url) as options, target.open("wb") as out:
        command = [tool, *options, *DUMP_OPTIONS, str(url.database)]
        _run(command, f"mariadb-dump of {url.database}", stdout=out)


def table_count(url: URL) -> int:
    tool = _tool("mariadb", "mysql")
    with _options(url) as options:
        command = [tool, *options, "--batch", "--skip-column-names", "-e", COUNT_TABLES]
        output = _run(
            [*command, str(url.database)], f"reading database {url.database}", stdout=PIPE
        )
    return int(output.strip() or 0)


def restore(url: URL, dump_file: Path) -> None:
    count = table_count(url)
    if count:
        raise ConfigError(
            f"database {url.database} is not empty ({count} tables): restore into an empty database"
        )
    tool = _tool("mariadb", "mysql")
    with _options(url) as options, dump_file.open("rb") as source:
        command = [tool, *options, "--default-character-set=utf8mb4", str(url.database)]
        _run(command, f"restoring into {url.database}", stdin=source, stdout=PIPE)
