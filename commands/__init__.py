"""The CLI commands behind `server.py` (the entry point): `seed-demo`, `reindex` and the worker
supervisor of `serve --workers N`."""
