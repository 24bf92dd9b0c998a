"""Turns committed domain events into Socket.IO emits (realtime/wire.py), and moves sockets
between rooms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from domain.events import MembershipChanged
from domain.ports import ChangeFeed
from realtime.namespace import NAMESPACE, ChatNamespace
from realtime.rooms import group_room, is_group_room
from realtime.wire import emits

ActiveGroups = Callable[[int], Awaitable[list[int]]]  # GroupService.active_group_ids


class SocketPublisher:
    """Event-bus handler. Emits go through the client manager, so with Redis they reach
    every worker. Membership changes move this worker's sockets of that user at once and are
    passed to the other workers through the change feed, where each moves its own."""

    def __init__(
        self,
        server: socketio.AsyncServer,
        namespace: ChatNamespace,
        feed: ChangeFeed | None,
        active_groups: ActiveGroups,
    ) -> None:
        self._server = server
        self._namespace = namespace
        self._feed = feed
        self._active_groups = active_groups

    async def emit(self, event: object) -> None:
        for out in emits(event):
            await self._server.emit(out.event, out.payload, room=out.room, namespace=NAMESPACE)

    async def on_membership_changed(self, event: MembershipChanged) -> None:
        await self.move_local_sockets(event.user_id, event.group_id, event.active)
        if self._feed is not None:
            await self._feed.publish(
                "membership",
                {"userId": event.user_id, "groupId": event.group_id, "active": event.active},
            )

    async def on_feed(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "membership":
            await self.move_local_sockets(
                int(payload["userId"]), int(payload["groupId"]), bool(payload["active"])
            )
        elif kind == "resync":
            await self.resync()

    async def resync(self) -> None:
        """The feed was down, so membership notices may have been missed: put every local
        socket in exactly the group rooms of its user's active groups, as read now."""
        for user_id in list(self._namespace.local_sockets):
            group_ids = await self._active_groups(user_id)
            wanted = {group_room(group_id) for group_id in group_ids}
            for sid in list(self._namespace.local_sockets.get(user_id, ())):
                rooms = self._server.rooms(sid, namespace=NAMESPACE)
                current = {room for room in rooms if is_group_room(room)}
                for room in wanted - current:
                    await self._server.enter_room(sid, room, namespace=NAMESPACE)
                for room in current - wanted:
                    await self._server.leave_room(sid, room, namespace=NAMESPACE)

    async def move_local_sockets(self, user_id: int, group_id: int, active: bool) -> None:
        room = group_room(group_id)
        for sid in list(self._namespace.local_sockets.get(user_id, ())):
            if active:
                await self._server.enter_room(sid, room, namespace=NAMESPACE)
            else:
                await self._server.leave_room(sid, room, namespace=NAMESPACE)
