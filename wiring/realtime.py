"""The root's realtime part: the Socket.IO server on the app, and, at start-up, the /chat
namespace and the publisher built from the services, and subscribed to the bus and the feed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from domain.bus import EventBus
from domain.events import MembershipChanged, MessagePosted, TokensRevoked
from realtime.asyncapi import build_asyncapi
from realtime.namespace import NAMESPACE, ChatNamespace
from realtime.presence import MemoryPresence, RedisPresence
from realtime.publisher import SocketPublisher
from realtime.room_channels import PubSubCollector, ShardedRedisManager
from realtime.server import keep_presence_fresh, socket_server
from realtime.wire import WIRE
from settings import project_version
from wiring.keys import (
    CHANGE_FEED,
    CHAT,
    GROUPS,
    METRIC_FAMILIES,
    METRICS,
    PRESENCE,
    PUBLISHER,
    REDIS,
    SETTINGS,
    SOCKET_ACCESS,
    SOCKETIO,
    USERS,
)


def attach_socket_server(
    app: web.Application, client_address: Callable[[web.Request], str]
) -> None:
    """Now, before start-up: the server adds its routes to the app."""
    server = socket_server(app[SETTINGS], client_address)
    server.attach(app)
    app[SOCKETIO] = server
    asyncapi_route(app)
    manager = server.manager
    app[METRIC_FAMILIES].count_deliveries(
        lambda: manager.fast_deliveries + manager.queued_deliveries
    )
    if isinstance(server.manager, ShardedRedisManager):
        app[METRICS].register(PubSubCollector(server.manager))


async def realtime_context(app: web.Application) -> AsyncIterator[None]:
    """After the services: build the namespace and the publisher, and subscribe them."""
    settings, feed, redis = app[SETTINGS], app[CHANGE_FEED], app[REDIS]
    metrics = app[METRIC_FAMILIES]
    presence = (
        RedisPresence(redis, settings.redis_prefix) if redis is not None else MemoryPresence()
    )
    app[PRESENCE] = presence  # push asks it who is offline
    namespace = ChatNamespace(
        chat=app[CHAT],
        groups=app[GROUPS],
        users=app[USERS],
        access=app[SOCKET_ACCESS],
        presence=presence,
        max_connections_per_user=settings.chat.max_connections_per_user,
        feed=feed,
        event_counter=metrics.socket_events,
    )
    metrics.socket_connections.set_function(
        lambda: sum(len(sids) for sids in namespace.local_sockets.values())
    )
    server = app[SOCKETIO]
    server.register_namespace(namespace)
    publisher = SocketPublisher(server, namespace, feed, app[GROUPS].active_group_ids)
    subscribe(app[PUBLISHER], namespace, publisher)

    async def count_message(event: MessagePosted) -> None:
        metrics.messages_sent.inc()

    app[PUBLISHER].subscribe(MessagePosted, count_message)
    if feed is not None:
        feed.subscribe(namespace.on_feed)
        feed.subscribe(publisher.on_feed)
    heartbeat = asyncio.create_task(keep_presence_fresh(presence, namespace))
    yield
    heartbeat.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await heartbeat


def subscribe(bus: EventBus, namespace: ChatNamespace, publisher: SocketPublisher) -> None:
    """Every event of the wire table is emitted; the two internal ones move or close sockets."""
    bus.subscribe(TokensRevoked, namespace.on_tokens_revoked)
    bus.subscribe(MembershipChanged, publisher.on_membership_changed)
    for event_type in WIRE:
        bus.subscribe(event_type, publisher.emit)


def asyncapi_route(app: web.Application) -> None:
    """GET /api/asyncapi.json, generated from the registered namespace (realtime/asyncapi.py)."""

    async def asyncapi_document(request: web.Request) -> web.Response:
        namespace = request.app[SOCKETIO].namespace_handlers[NAMESPACE]
        assert isinstance(namespace, ChatNamespace)
        return web.json_response(build_asyncapi(namespace.client_events, project_version()))

    app.router.add_get("/api/asyncapi.json", asyncapi_document)
