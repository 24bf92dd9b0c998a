"""The floor of our stack for bench/fanout.py: python-socketio on aiohttp with the same Redis
manager as the real server, but no auth and no persistence. The client names its room in the
handshake auth ({room}); "message:send" is broadcast to that room as "message:new" and acked.

    python bench/bare_server.py --port 5200 --redis-url redis://127.0.0.1:6379/0 --prefix x

Several processes may share the port (SO_REUSEPORT), like `server.py serve --workers N`.
"""

from __future__ import annotations

import argparse
import itertools
from datetime import UTC, datetime
from typing import Any

import orjson
import socketio
from aiohttp import web
from engineio import json as engineio_json


class OrjsonCodec:
    """Same codec as realtime/server.py: orjson, with engine.io's stdlib codec for what orjson
    refuses."""

    @staticmethod
    def dumps(obj: Any, **options: Any) -> str:
        try:
            return orjson.dumps(obj).decode()
        except TypeError:
            return engineio_json.dumps(obj, **options)

    @staticmethod
    def loads(text: str | bytes, **options: Any) -> Any:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return engineio_json.loads(text, **options)


def build_app(redis_url: str, prefix: str, json_module: Any) -> web.Application:
    manager = (
        socketio.AsyncRedisManager(redis_url, channel=f"{prefix}:socketio")
        if redis_url
        else socketio.AsyncManager()
    )
    server = socketio.AsyncServer(
        async_mode="aiohttp", client_manager=manager, json=json_module, transports=["websocket"]
    )
    ids = itertools.count(1)

    @server.on("connect", namespace="/chat")
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        room = auth.get("room") if isinstance(auth, dict) else None
        if room is not None:
            await server.enter_room(sid, str(room), namespace="/chat")

    @server.on("message:send", namespace="/chat")
    async def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        message = {
            "id": next(ids),
            "groupId": data["groupId"],
            "userId": 0,
            "content": data["content"],
            "clientId": data.get("clientId"),
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        await server.emit(
            "message:new", {"message": message}, room=str(data["groupId"]), namespace="/chat"
        )
        return {"ok": True, "message": message}

    app = web.Application()
    server.attach(app)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--prefix", default="bench-bare")
    parser.add_argument("--json", choices=["std", "orjson"], default="orjson")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop")
    args = parser.parse_args()
    json_module = OrjsonCodec if args.json == "orjson" else None
    loop = None
    if args.loop == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    web.run_app(
        build_app(args.redis_url, args.prefix, json_module),
        host="127.0.0.1",
        port=args.port,
        reuse_port=True,
        print=None,
        access_log=None,
        loop=loop,
    )


if __name__ == "__main__":
    main()
