"""WebSocket frames built once for many recipients (RFC 6455 section 5.2).

A server's frames are never masked, so the bytes of one text frame are the same for every
recipient whose connection did not negotiate an extension (permessage-deflate would make each
connection's bytes depend on its own compression history). `text_frame` builds exactly what
aiohttp's `WebSocketWriter` writes for `send_str` on such a connection: FIN set, opcode 1, no
RSV bits, the shortest length encoding, then the UTF-8 payload
(tests/realtime/test_fast_path.py compares the two byte for byte).
"""

from __future__ import annotations

import struct

FIN_TEXT = 0x81
_LEN7 = struct.Struct("!BB").pack
_LEN16 = struct.Struct("!BBH").pack
_LEN64 = struct.Struct("!BBQ").pack


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame carrying `payload` (already UTF-8)."""
    size = len(payload)
    if size < 126:
        return _LEN7(FIN_TEXT, size) + payload
    if size < 65536:
        return _LEN16(FIN_TEXT, 126, size) + payload
    return _LEN64(FIN_TEXT, 127, size) + payload


def engineio_message_frame(socketio_packet: str) -> bytes:
    """The frame engine.io sends for a MESSAGE packet ("4" + the Socket.IO packet's text)."""
    return text_frame(("4" + socketio_packet).encode())
