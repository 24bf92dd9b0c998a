"""Start-up checks that turn a driver or socket failure into one ConfigError line (exit 2)."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from urllib.parse import urlsplit, urlunsplit

from settings import ConfigError

ADDRESS_ERRORS = {errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES}
# Alembic logs one INFO line per plugin when it is imported: noise on every start and failure.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages and check-config."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def one_line(error: BaseException) -> str:
    """The driver's own message (SQLAlchemy wraps it in `orig`), first line only."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0][:300]


def _database_failure(database_url: str, doing: str, error: BaseException) -> ConfigError:
    return ConfigError(f"database {masked_url(database_url)} {doing}: {one_line(error)}")


def ping_database(database_url: str) -> None:
    from sqlalchemy.exc import DBAPIError

    from storage.engine import create_engine, ping

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            await ping(engine)
        except BaseException:
            # aiosqlite (0.22) stops a connection that failed to open without waiting for its
            # thread, which then writes to a closed loop ("Event loop is closed" on stderr)
            await asyncio.sleep(0.2)
            raise
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except (DBAPIError, OSError) as error:
        raise _database_failure(database_url, "is unreachable", error) from None


def migrate(database_url: str) -> None:
    """Apply migrations; an unreachable database or a failing migration is one line."""
    from sqlalchemy.exc import DBAPIError

    from storage.migrate import upgrade_blocking

    ping_database(database_url)
    try:
        upgrade_blocking(database_url)
    except (DBAPIError, OSError) as error:
        raise _database_failure(database_url, "could not be migrated", error) from None


def check_port_free(host: str, port: int, reuse_port: bool) -> None:
    """Bind the address the way the server will (SO_REUSEADDR, SO_REUSEPORT with several
    workers) and let go: a port in use fails here, before any worker starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port and hasattr(socket, "SO_REUSEPORT"):
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno in ADDRESS_ERRORS:
                    raise ConfigError(
                        f"cannot listen on {host}:{port}: {(error.strerror or str(error)).lower()}"
                    ) from None
                raise
