"""The /chat namespace: authenticated sockets, rooms, and every client→server event with acks."""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import socketio
from pydantic import BaseModel, ValidationError

from domain.chat import ChatService, NewMessage
from domain.counters import LabelledCounter
from domain.errors import DomainError, Forbidden, NotFound, RateLimited
from domain.events import TokensRevoked
from domain.groups import GroupService
from domain.log_context import user_id_var
from domain.socket_access import SocketAuthenticator, SocketGrant
from domain.users import UserService
from realtime import payloads as p
from realtime.presence import MemoryPresence, RedisPresence
from realtime.rooms import group_id_of, group_room, user_room
from realtime.typing_gate import TypingGate
from wire.chat import message_payload, reactions_payload

log = logging.getLogger("studysync.realtime")
NAMESPACE = "/chat"
Action = Callable[[int, Any], Awaitable[dict[str, Any]]]


def error_ack(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"ok": False, "error": error}


def _validation_details(error: ValidationError) -> dict[str, str]:
    return {
        ".".join(str(x) for x in item["loc"]) or "payload": item["msg"]
        for item in error.errors(include_url=False, include_input=False)
    }


def token_from(environ: dict[str, Any], auth: Any) -> str:
    """auth: {token} (preferred), then the Authorization header, then ?token=."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]


def _refusal(error: DomainError) -> socketio.exceptions.ConnectionRefusedError:
    return socketio.exceptions.ConnectionRefusedError(
        error.message, {"code": error.code, "message": error.message}
    )


class ChatNamespace(socketio.AsyncNamespace):
    """The composition root builds it with the services it uses and subscribes its handlers
    (`on_tokens_revoked` to the event bus, `on_feed` to the change feed)."""

    def __init__(
        self,
        *,
        chat: ChatService,
        groups: GroupService,
        users: UserService,
        access: SocketAuthenticator,
        presence: MemoryPresence | RedisPresence,
        max_connections_per_user: int,
        feed: Any = None,  # storage.kv.RedisChangeFeed, or None without Redis
        event_counter: LabelledCounter | None = None,  # studysync_socket_events_total{event}
    ) -> None:
        super().__init__(NAMESPACE)
        self.chat = chat
        self.groups = groups
        self.users = users
        self.access = access
        self.presence = presence
        self.max_connections_per_user = max_connections_per_user
        self.feed = feed
        self.event_counter = event_counter
        self.local_sockets: dict[int, set[str]] = defaultdict(set)  # this worker's, per user
        self.typing_gate = TypingGate()  # per worker: with N workers, at most N starts per 2 s
        self._events: dict[str, tuple[type[BaseModel], Action]] = {
            "message:send": (p.SendPayload, self._send),
            "message:react": (p.ReactPayload, self._react),
            "message:edit": (p.EditPayload, self._edit),
            "message:delete": (p.MessageRef, self._delete),
            "messages:sync": (p.SyncPayload, self._sync),
            "message:read": (p.ReadPayload, self._read),
        }

    # ---- connection -------------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            grant = await self.access.authenticate(token_from(environ, auth))
            user_id = grant.account.user_id
            first = await self._reserve_connection(user_id, sid)
        except DomainError as error:
            raise _refusal(error) from None
        try:
            await self._join(sid, grant)
        except BaseException as error:
            # Not connected after all: give the reserved slot back (no on_disconnect follows).
            await self.presence.disconnect(user_id, sid)
            self._forget_local(user_id, sid)
            if isinstance(error, DomainError):
                raise _refusal(error) from None
            raise
        if first:
            await self._announce_presence(user_id, list(grant.account.group_ids), online=True)

    async def _join(self, sid: str, grant: SocketGrant) -> None:
        """Session and rooms of a socket whose slot is reserved."""
        account = grant.account
        await self.save_session(
            sid,
            {
                "user_id": account.user_id,
                "name": account.name,
                "version": account.token_version,
                "token_id": grant.claims.token_id,
            },
        )
        self.local_sockets[account.user_id].add(sid)
        await self.enter_room(sid, user_room(account.user_id))
        for group_id in account.group_ids:
            await self.enter_room(sid, group_room(group_id))

    async def on_disconnect(self, sid: str, *_reason: Any) -> None:
        session = await self.get_session(sid)
        user_id = session.get("user_id")
        if user_id is None:
            return
        # Its rooms are its user's active groups (kept so by the change feed): no query needed.
        group_ids = [g for g in map(group_id_of, self.rooms(sid)) if g is not None]
        self._forget_local(user_id, sid)
        if await self.presence.disconnect(user_id, sid):
            await self._announce_presence(user_id, sorted(group_ids), online=False)

    def _forget_local(self, user_id: int, sid: str) -> None:
        sids = self.local_sockets.get(user_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.local_sockets[user_id]

    async def _reserve_connection(self, user_id: int, sid: str) -> bool:
        """Take one of the user's connection slots, counted across workers, in one atomic
        step of the presence store; True when this is the user's first open socket."""
        limit = self.max_connections_per_user
        admission = await self.presence.admit(user_id, sid, limit)
        if not admission.admitted:
            raise RateLimited(f"At most {limit} open connections per user", retry_after=60)
        return admission.first

    async def disconnect_user(self, user_id: int, token_id: str | None = None) -> None:
        """Close this worker's sockets of the user (only those opened with `token_id`, if
        given)."""
        for sid in list(self.local_sockets.get(user_id, ())):
            with contextlib.suppress(KeyError):  # the socket left meanwhile
                if token_id is None or (await self.get_session(sid)).get("token_id") == token_id:
                    await self.disconnect(sid)

    async def on_tokens_revoked(self, event: TokensRevoked) -> None:
        """Logout and "log out everywhere" close the sockets on this and every other worker."""
        await self.disconnect_user(event.user_id, event.token_id)
        if self.feed is not None:
            await self.feed.publish(
                "tokens_revoked", {"userId": event.user_id, "tokenId": event.token_id}
            )

    async def on_feed(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "tokens_revoked":
            await self.disconnect_user(int(payload["userId"]), payload.get("tokenId"))
        elif kind == "resync":  # the feed was down: a "log out everywhere" may have been missed
            await self._drop_revoked_sockets()

    async def _drop_revoked_sockets(self) -> None:
        """Close this worker's sockets whose user's token version moved on (or who is gone)."""
        for user_id, sids in list(self.local_sockets.items()):
            try:
                version = (await self.users.get(user_id)).token_version
            except NotFound:
                version = None
            except DomainError:
                return  # the database is down too; the next resync tries again
            for sid in list(sids):
                with contextlib.suppress(KeyError):  # the socket left meanwhile
                    if (await self.get_session(sid)).get("version") != version:
                        await self.disconnect(sid)

    async def _announce_presence(self, user_id: int, group_ids: list[int], online: bool) -> None:
        for group_id in group_ids:
            await self.emit(
                "presence",
                {"groupId": group_id, "userId": user_id, "online": online},
                room=group_room(group_id),
            )

    # ---- events -----------------------------------------------------------------------------

    @property
    def client_events(self) -> dict[str, type[BaseModel]]:
        """Every client→server event this namespace answers, with its payload model (the
        AsyncAPI document, realtime/asyncapi.py, is generated from it)."""
        models = {name: model for name, (model, _action) in self._events.items()}
        return models | {"typing": p.TypingPayload, "presence:list": p.GroupRef}

    async def _observe(self, sid: str, event: str) -> None:
        """Counted by name (a name it does not handle as 'unknown': bounded labels), logged at
        DEBUG with the user id, never the payload."""
        name = event if event in self.client_events else "unknown"
        if self.event_counter is not None:
            self.event_counter.labels(name).inc()
        with contextlib.suppress(Exception):  # not connected yet: no session
            user_id_var.set(str((await self.get_session(sid))["user_id"]))  # this event's task
        log.debug("socket event %s", name)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        sid, payload = args[0], (args[1] if len(args) > 1 else None)
        if event not in ("connect", "disconnect"):
            await self._observe(sid, event)
        if event in ("connect", "disconnect"):
            # The server's own connect/disconnect run while the socket is pending; a connected
            # client emitting these names must not re-run the handshake or fake a disconnect.
            if self.server.manager.is_connected(sid, NAMESPACE):
                return error_ack("invalid_input", f"{event!r} is a reserved event name")
            return await super().trigger_event(event, *args)
        if event == "typing":
            return await self._acked(sid, payload, p.TypingPayload, self._typing(sid))
        if event == "presence:list":
            return await self._acked(sid, payload, p.GroupRef, self._presence_list(sid))
        handler = self._events.get(event)
        if handler is None:
            return error_ack("not_found", f"Unknown event {event!r}")
        model, action = handler
        return await self._acked(sid, payload, model, action)

    async def _acked(self, sid: str, payload: Any, model: type[BaseModel], action: Any) -> Any:
        try:
            session = await self.get_session(sid)
            data = model.model_validate(payload if payload is not None else {})
            result = await action(session["user_id"], data)
            return {"ok": True, **result}
        except ValidationError as error:
            return error_ack(
                "invalid_input", "The payload has invalid fields", _validation_details(error)
            )
        except DomainError as error:
            code = getattr(error, "ack_code", error.code)  # a mute acks as `forbidden`
            return error_ack(code, error.message, error.details)
        except Exception:
            log.exception("event handler failed")
            return error_ack("internal_error", "Something went wrong on our side")

    async def _send(self, user_id: int, data: p.SendPayload) -> dict[str, Any]:
        new = NewMessage(
            data.group_id,
            data.content,
            data.message_type,
            data.image_url,
            data.client_id,
            data.reply_to,
            tuple(data.mentions),
            upload_id=data.upload_id,
        )
        message, _created = await self.chat.send(user_id, new)
        return {"message": message_payload(message)}

    async def _react(self, user_id: int, data: p.ReactPayload) -> dict[str, Any]:
        _group_id, reactions = await self.chat.react(user_id, data.message_id, data.emoji)
        return {"messageId": data.message_id, "reactions": reactions_payload(reactions)}

    async def _edit(self, user_id: int, data: p.EditPayload) -> dict[str, Any]:
        message = await self.chat.edit(user_id, data.message_id, data.content)
        return {"message": message_payload(message)}

    async def _delete(self, user_id: int, data: p.MessageRef) -> dict[str, Any]:
        await self.chat.delete(user_id, data.message_id)
        return {"messageId": data.message_id}

    async def _sync(self, user_id: int, data: p.SyncPayload) -> dict[str, Any]:
        messages, has_more = await self.chat.history(
            user_id, data.group_id, data.after, None, data.limit
        )
        return {"messages": [message_payload(m) for m in messages], "hasMore": has_more}

    async def _read(self, user_id: int, data: p.ReadPayload) -> dict[str, Any]:
        unread = await self.chat.mark_read(user_id, data.group_id, data.message_id)
        return {"groupId": data.group_id, "unread": unread}

    def _require_room(self, sid: str, group_id: int) -> None:
        # The socket is in a group's room exactly while its user is an active member.
        if group_room(group_id) not in self.rooms(sid):
            raise Forbidden("Only active members of this group can do that")

    def _typing(self, sid: str) -> Action:
        async def typing(user_id: int, data: p.TypingPayload) -> dict[str, Any]:
            self._require_room(sid, data.group_id)
            if not self.typing_gate.allow(user_id, data.group_id, data.is_typing):
                return {}  # acked as usual; the others already know
            session = await self.get_session(sid)
            await self.emit(
                "typing",
                {
                    "groupId": data.group_id,
                    "userId": user_id,
                    "userName": session["name"],
                    "isTyping": data.is_typing,
                },
                room=group_room(data.group_id),
                # Not back to the typist: none of their sockets (other tabs, other workers).
                skip_sid=list({sid, *await self.presence.sockets(user_id)}),
            )
            return {}

        return typing

    def _presence_list(self, sid: str) -> Action:
        async def presence_list(user_id: int, data: p.GroupRef) -> dict[str, Any]:
            self._require_room(sid, data.group_id)
            _group, _membership, members = await self.groups.details(user_id, data.group_id)
            online = await self.presence.online(member.user_id for member in members)
            return {"online": online}

        return presence_list
