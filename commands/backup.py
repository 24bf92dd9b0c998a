"""`server.py backup` / `restore`: one .tar.gz with the database, the uploads and a manifest.

SQLite is copied with sqlite3's online backup API (a consistent snapshot while the server keeps
writing); MariaDB with `mariadb-dump --single-transaction` (one InnoDB snapshot, no table locks).
The database is snapshotted before the uploads are copied, so every upload a row names is in the
archive. A restore goes into an empty database of the same engine only."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from commands import mariadb_client
from settings import ConfigError, Settings, project_version

FORMAT = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
MEMBERS = {"sqlite": "database.sqlite3", "mariadb": "database.sql"}
# mariadb-dump writes `INSERT INTO `alembic_version` VALUES` and the row on the next line (older
# versions: on the same line).
REVISION_ROW = re.compile(r"INSERT INTO `alembic_version` VALUES\s*\('([^']+)'\)")


@dataclass(frozen=True)
class Manifest:
    format: int
    engine: str  # "sqlite" | "mariadb"
    schema_revision: str
    created_at: str  # ISO-8601 UTC
    version: str  # the StudySync version that wrote it
    database: str  # the archive member holding the database
    uploads: bool


def engine_of(url: URL) -> str:
    return "sqlite" if url.get_backend_name() == "sqlite" else "mariadb"


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ConfigError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def backup(settings: Settings, output: Path, uploads: Path) -> Manifest:
    url = make_url(settings.database_url)
    engine = engine_of(url)
    with tempfile.TemporaryDirectory(prefix="studysync-backup-") as scratch:
        dump = Path(scratch) / MEMBERS[engine]
        if engine == "sqlite":
            revision = _snapshot_sqlite(sqlite_path(url), dump)
        else:
            mariadb_client.dump(url, dump)
            revision = _dump_revision(dump)
        manifest = Manifest(
            FORMAT,
            engine,
            revision,
            datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            project_version(),
            MEMBERS[engine],
            uploads.is_dir(),
        )
        (Path(scratch) / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
        _write_archive(output, Path(scratch), uploads if manifest.uploads else None)
    return manifest


def _snapshot_sqlite(source: Path, target: Path) -> str:
    if not source.is_file():
        raise ConfigError(f"database file not found: {source}")
    with sqlite3.connect(source, timeout=30) as live, sqlite3.connect(target) as copy:
        live.backup(copy)  # all pages in one step: one read snapshot, writers never blocked
    return _sqlite_revision(target)


def _sqlite_revision(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            row = None
    return row[0] if row else ""


def _dump_revision(dump: Path) -> str:
    previous = ""
    with dump.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if found := REVISION_ROW.search(previous[-200:] + line[:200]):
                return found.group(1)
            previous = line.rstrip("\n")
    return ""


def _write_archive(output: Path, scratch: Path, uploads: Path | None) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    try:
        with tarfile.open(partial, "w:gz") as archive:
            for member in sorted(scratch.iterdir()):
                archive.add(member, arcname=member.name)
            if uploads is not None:
                archive.add(uploads, arcname=UPLOADS)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {output}: {error.strerror or error}") from None
    partial.replace(output)  # never a half-written archive under the final name


def restore(settings: Settings, archive: Path, uploads: Path) -> Manifest:
    url = make_url(settings.database_url)
    with tempfile.TemporaryDirectory(prefix="studysync-restore-") as scratch:
        manifest = _unpack(archive, Path(scratch))
        if manifest.engine != engine_of(url):
            raise ConfigError(
                f"{archive} holds a {manifest.engine} database but DATABASE_URL is "
                f"{engine_of(url)}: restore into the same engine"
            )
        if uploads.is_dir() and any(uploads.iterdir()):
            raise ConfigError(
                f"uploads directory {uploads} is not empty: restore into an empty one"
            )
        database = Path(scratch) / manifest.database
        if manifest.engine == "sqlite":
            _restore_sqlite(database, sqlite_path(url))
        else:
            mariadb_client.restore(url, database)
        if manifest.uploads:
            shutil.copytree(Path(scratch) / UPLOADS, uploads, dirs_exist_ok=True)
    return manifest


def _unpack(archive: Path, scratch: Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(scratch, filter="data")  # no absolute paths, links out, devices
        raw = json.loads((scratch / MANIFEST).read_text())
        manifest = Manifest(**raw)
    except FileNotFoundError:
        raise ConfigError(f"{archive}: no such file, or not a StudySync backup") from None
    except (OSError, tarfile.TarError, ValueError, TypeError) as error:
        raise ConfigError(f"{archive} is not a readable StudySync backup: {error}") from None
    if manifest.format != FORMAT or not (scratch / manifest.database).is_file():
        raise ConfigError(f"{archive}: unsupported backup format {manifest.format}")
    return manifest


def _restore_sqlite(snapshot: Path, target: Path) -> None:
    if target.exists() and _sqlite_tables(target):
        raise ConfigError(
            f"database {target} is not empty ({len(_sqlite_tables(target))} tables): "
            "restore into an empty database"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(snapshot) as source, sqlite3.connect(target) as destination:
        source.backup(destination)


def _sqlite_tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return [row[0] for row in rows]
