"""The AsyncAPI 3.0 document of the /chat namespace (served at /api/asyncapi.json): every
client→server event with its payload model and its ack, generated from the namespace's own
table; every server→client event from realtime/wire.py's table plus the namespace's direct
emits (presence, typing). A test fails when the namespace handles or emits an event the
document lacks (tests/operations/test_api_documents.py)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from realtime.wire import WIRE

# Server→client events the namespace emits itself (not reports of a domain event).
DIRECT_EMITS: dict[str, tuple[str, str]] = {
    "presence": ("group:{groupId}", "{groupId, userId, online}"),
    "typing": (
        "group:{groupId}, not to the typist's sockets",
        "{groupId, userId, userName, isTyping}",
    ),
}
# Payload keys of server→client events: their JSON types (entities are described, with the
# OpenAPI component that has the same JSON).
_KEY_SCHEMAS: dict[str, dict[str, Any]] = {
    "groupId": {"type": "integer"},
    "messageId": {"type": "integer"},
    "userId": {"type": "integer"},
    "userName": {"type": "string"},
    "online": {"type": "boolean"},
    "isTyping": {"type": "boolean"},
    "pinned": {"type": "boolean"},
    "message": {"type": "object", "description": "ChatMessageOut in /api/openapi.json"},
    "member": {"type": "object", "description": "MemberOut in /api/openapi.json"},
    "reactions": {"type": "array", "description": "ReactionOut items, as in /api/openapi.json"},
    "session": {"type": "object", "description": "SessionOut in /api/openapi.json (myRsvp null)"},
    "post": {"type": "object", "description": "PostFullOut in /api/openapi.json"},
    "notification": {"type": "object", "description": "NotificationOut in /api/openapi.json"},
}
ACK_ERROR = {
    "type": "object",
    "required": ["ok", "error"],
    "properties": {
        "ok": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "examples": ["invalid_input", "forbidden", "rate_limited"],
                },
                "message": {"type": "string"},
                "details": {},
            },
        },
    },
}


def _key(event: str) -> str:
    """AsyncAPI component keys allow [\\w.-] only: `message:send` → `message_send`."""
    return re.sub(r"[^\w.-]", "_", event)


def _model_schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    return schema


def _shape_schema(shape: str) -> dict[str, Any]:
    keys = re.findall(r"\w+", shape)
    return {
        "type": "object",
        "required": keys,
        "properties": {key: _KEY_SCHEMAS.get(key, {}) for key in keys},
    }


def server_events() -> dict[str, tuple[str, str]]:
    """event → (rooms, payload shape) for everything the server sends on /chat."""
    return {row.event: (row.audience, row.shape) for row in WIRE.values()} | DIRECT_EMITS


def build_asyncapi(client_events: dict[str, type[BaseModel]], version: str) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"AckError": ACK_ERROR}
    operations: dict[str, Any] = {}
    channel = {"$ref": "#/channels/chat"}
    for event, model in client_events.items():
        key, ack = _key(event), f"{_key(event)}.ack"
        messages[key] = {"name": event, "title": event, "payload": _model_schema(model, schemas)}
        messages[ack] = {
            "name": f"{event} ack",
            "summary": "The acknowledgement: {ok: true, ...} or {ok: false, error}",
            "payload": {
                "oneOf": [
                    {"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}},
                    {"$ref": "#/components/schemas/AckError"},
                ]
            },
        }
        operations[f"receive_{key}"] = {
            "action": "receive",
            "summary": f"Client emits `{event}` with an ack callback",
            "channel": channel,
            "messages": [{"$ref": f"#/channels/chat/messages/{key}"}],
            "reply": {
                "channel": channel,
                "messages": [{"$ref": f"#/channels/chat/messages/{ack}"}],
            },
        }
    for event, (rooms, shape) in server_events().items():
        key = f"{_key(event)}.event"
        messages[key] = {
            "name": event,
            "title": event,
            "summary": f"To room {rooms}: {shape}",
            "payload": _shape_schema(shape),
        }
        operations[f"send_{_key(event)}"] = {
            "action": "send",
            "summary": f"Server emits `{event}` to {rooms}",
            "channel": channel,
            "messages": [{"$ref": f"#/channels/chat/messages/{key}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "StudySync /chat (Socket.IO)",
            "version": version,
            "description": "Socket.IO v5 namespace /chat; auth {token} at connect; every "
            "client event takes an ack. Guide: docs/realtime.md.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "studysync": {
                "host": "localhost:5000",
                "protocol": "ws",
                "pathname": "/socket.io/",
                "description": "Socket.IO over websocket (EIO=4); behind nginx use wss",
            }
        },
        "channels": {
            "chat": {
                "address": "/chat",
                "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in messages},
            }
        },
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
