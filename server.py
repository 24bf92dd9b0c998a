"""Process entry point: `python server.py serve|migrate|reindex|seed-demo|check-config|backup|
restore` (see README and docs/operations.md). A misconfiguration is one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from api.observability import configure_logging
from settings import (
    PROJECT_DIR,
    ConfigError,
    Settings,
    load_settings,
    project_version,
    resolve_jwt_secret,
    resolve_vapid_key,
)

log = logging.getLogger("studysync.server")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config, host=getattr(args, "host", None), port=getattr(args, "port", None)
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from commands.preflight import check_port_free, migrate, ping_database

    settings = resolve_vapid_key(resolve_jwt_secret(_settings(args)))
    configure_logging(settings.log_level, settings.logs_as_json)
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.workers > 1 and not settings.redis_url:
        raise ConfigError("--workers > 1 needs REDIS_URL: workers share events through Redis")
    check_port_free(settings.host, settings.port, reuse_port=args.workers > 1)
    if args.no_migrate:
        ping_database(settings.database_url)
    else:
        migrate(settings.database_url)
    if args.workers == 1:
        run_worker(settings, reuse_port=False)
        return 0
    from commands.supervisor import supervise

    return supervise(settings, args.workers, run_worker)


def run_worker(settings: Settings, reuse_port: bool = True) -> None:
    """One server process. With several workers each binds the port with SO_REUSEPORT and the
    kernel spreads new connections between them."""
    from api.http_protocol import run_app
    from app import create_app

    configure_logging(settings.log_level, settings.logs_as_json)
    log.info("serving on http://%s:%s", settings.host, settings.port)
    run_app(  # web.run_app with read deadlines on every connection (docs/operations.md)
        create_app(settings),
        host=settings.host,
        port=settings.port,
        read_timeout=settings.http.read_timeout,
        body_timeout=settings.http.body_timeout,
        reuse_port=reuse_port or None,
        loop=_event_loop(),
    )


def _event_loop() -> asyncio.AbstractEventLoop | None:
    """uvloop when installed (not on Windows): fewer syscalls and less Python per socket event,
    which the fan-out benchmark measures (docs/benchmarks.md); else aiohttp's default loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop()


def cmd_migrate(args: argparse.Namespace) -> int:
    from commands.preflight import migrate

    settings = _settings(args)
    configure_logging(settings.log_level, settings.logs_as_json)
    migrate(settings.database_url)
    log.info("database is at the newest schema")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    import asyncio

    from commands.reindex import run_reindex

    settings = _settings(args)
    configure_logging(settings.log_level, settings.logs_as_json)
    if args.batch_size < 1:
        raise ConfigError("--batch-size must be at least 1")
    kind = args.embedder or settings.matching.embedder
    result = asyncio.run(run_reindex(settings, kind, args.batch_size, args.only_stale))
    return 0 if result is not None else 1


def cmd_seed_demo(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from commands.demo import seed
    from commands.demo_data import DEMO_PASSWORD, demo_email
    from commands.preflight import migrate

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # one progress bar at a time
    settings = resolve_jwt_secret(_settings(args))
    configure_logging("WARNING", settings.logs_as_json)  # keep the progress bar readable
    if args.users < 1 or args.groups < 0:
        raise ConfigError("--users must be at least 1 and --groups at least 0")
    migrate(settings.database_url)
    seeder = asyncio.run(seed(settings, args.users, args.groups, args.embedder))
    out = sys.stdout
    out.write(f"added {seeder.counts.summary()}\n")
    for note in seeder.notes:
        out.write(f"note: {note}\n")
    out.write(
        f"demo login: {demo_email(1)} / {DEMO_PASSWORD}  (any demoNNN@demo.edu up to "
        f"{demo_email(args.users)}) at http://{settings.host}:{settings.port}/\n"
    )
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from commands.check_config import describe_secret, render

    settings = _settings(args)
    if settings.is_production:
        resolve_jwt_secret(settings)  # production: refuses a missing or weak secret, writes nothing
    sys.stdout.write(f"# effective configuration ({args.config or 'config.toml'}, environment)\n")
    sys.stdout.write(f"# {describe_secret(settings)}\n{render(settings)}")
    return 0


def _uploads_dir(value: str | None, settings: Settings) -> Path:
    """--uploads when given, else `[uploads] dir` (relative paths: in the checkout)."""
    if value is None:
        return settings.uploads.path
    path = Path(value)
    return path if path.is_absolute() else PROJECT_DIR / path


def cmd_backup(args: argparse.Namespace) -> int:
    from commands.backup import backup

    settings = _settings(args)
    manifest = backup(settings, Path(args.output), _uploads_dir(args.uploads, settings))
    sys.stdout.write(
        f"wrote {args.output}: {manifest.engine} database at schema {manifest.schema_revision}"
        f"{', with uploads' if manifest.uploads else ', no uploads directory'}\n"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from commands.backup import restore

    settings = _settings(args)
    manifest = restore(settings, Path(args.file), _uploads_dir(args.uploads, settings))
    sys.stdout.write(
        f"restored {args.file} ({manifest.engine}, schema {manifest.schema_revision}, taken "
        f"{manifest.created_at}); `server.py migrate` (or serve) brings it to the newest schema\n"
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "reindex": cmd_reindex,
    "seed-demo": cmd_seed_demo,
    "check-config": cmd_check_config,
    "backup": cmd_backup,
    "restore": cmd_restore,
}


class Parser(argparse.ArgumentParser):
    """Usage errors as one line too (argparse prints the whole usage block by default)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


CONFIG_HELP = "path to a config.toml (default: the project's config.toml)"
EMBEDDERS = ["sentence-transformers", "hashing"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="server.py", description="StudySync server")
    parser.add_argument("--config", help=CONFIG_HELP)
    parser.add_argument("--version", action="version", version=f"studysync {project_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        subparser = sub.add_parser(name, help=help_text, description=help_text)
        subparser.add_argument(
            "--config", dest="config", default=argparse.SUPPRESS, help=CONFIG_HELP
        )
        return subparser

    serve = command("serve", "run the HTTP + Socket.IO server")
    serve.add_argument("--host", help="address to listen on (default: host in config.toml, HOST)")
    serve.add_argument(
        "--port", type=int, help="port to listen on (default: port in config.toml, PORT)"
    )
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not apply migrations first (default: apply)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the port, needs Redis (default: %(default)s)",
    )
    command("migrate", "apply pending database migrations")
    reindex = command("reindex", "re-embed every profile (batches, progress bar)")
    reindex.add_argument(
        "--batch-size", type=int, default=64, help="profiles per batch (default: %(default)s)"
    )
    reindex.add_argument(
        "--only-stale", action="store_true", help="skip up-to-date embeddings (default: all)"
    )
    reindex.add_argument(
        "--embedder", choices=EMBEDDERS, help="default: [matching] embedder in config.toml"
    )
    demo = command("seed-demo", "fill the database with demo students and groups")
    demo.add_argument("--users", type=int, default=50, help="demo students (default: %(default)s)")
    demo.add_argument("--groups", type=int, default=12, help="demo groups (default: %(default)s)")
    demo.add_argument(
        "--embedder",
        choices=EMBEDDERS,
        help="model for the demo profiles' embeddings (default: [matching] embedder)",
    )
    command("check-config", "validate the configuration and print it, secrets masked")
    backup = command("backup", "write the database and the uploads to one .tar.gz")
    backup.add_argument("--output", required=True, help="archive to write (required, no default)")
    uploads_help = "uploads directory, relative to the checkout (default: [uploads] dir)"
    backup.add_argument("--uploads", help=uploads_help)
    restore = command("restore", "restore a backup into an empty database")
    restore.add_argument("file", help="archive written by `backup` (required)")
    restore.add_argument("--uploads", help=uploads_help)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as error:
        sys.stderr.write(f"server.py {args.command}: error: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
