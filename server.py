"""Process entry point: `python server.py serve|migrate|reindex` (see README)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable

from api.observability import configure_logging
from settings import ConfigError, Settings, load_settings, resolve_jwt_secret

log = logging.getLogger("studysync.server")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config, host=getattr(args, "host", None), port=getattr(args, "port", None)
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade_blocking

    settings = resolve_jwt_secret(_settings(args))
    configure_logging(settings.log_level, settings.log_json)
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.workers > 1 and not settings.redis_url:
        raise ConfigError("--workers > 1 needs REDIS_URL: workers share events through Redis")
    if not args.no_migrate:
        upgrade_blocking(settings.database_url)
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

    configure_logging(settings.log_level, settings.log_json)
    log.info("serving on http://%s:%s", settings.host, settings.port)
    run_app(  # web.run_app with read deadlines on every connection (docs/operations.md)
        create_app(settings),
        host=settings.host,
        port=settings.port,
        read_timeout=settings.http.read_timeout,
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
    from storage.migrate import upgrade_blocking

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_json)
    upgrade_blocking(settings.database_url)
    log.info("database is at the newest schema")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    import asyncio

    from commands.reindex import run_reindex

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_json)
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
    from storage.migrate import upgrade_blocking

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # one progress bar at a time
    settings = resolve_jwt_secret(_settings(args))
    configure_logging("WARNING", settings.log_json)  # keep the progress bar readable
    if args.users < 1 or args.groups < 0:
        raise ConfigError("--users must be at least 1 and --groups at least 0")
    upgrade_blocking(settings.database_url)
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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "reindex": cmd_reindex,
    "seed-demo": cmd_seed_demo,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="server.py", description="StudySync server")
    parser.add_argument("--config", help="path to a config.toml (default: the project's)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP + Socket.IO server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the port (needs Redis)"
    )
    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    reindex = sub.add_parser("reindex", help="re-embed every profile (batches, progress bar)")
    reindex.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    reindex.add_argument("--batch-size", type=int, default=64)
    reindex.add_argument("--only-stale", action="store_true", help="skip up-to-date embeddings")
    reindex.add_argument(
        "--embedder", choices=["sentence-transformers", "hashing"], help="default: config.toml"
    )
    demo = sub.add_parser("seed-demo", help="fill the database with demo students and groups")
    demo.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    demo.add_argument("--users", type=int, default=50, help="demo students (default 50)")
    demo.add_argument("--groups", type=int, default=12, help="demo groups (default 12)")
    demo.add_argument(
        "--embedder",
        choices=["sentence-transformers", "hashing"],
        help="model for the demo profiles' embeddings (default: config.toml)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as error:
        sys.stderr.write(f"configuration error: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
