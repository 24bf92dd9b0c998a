"""Long-polling responses of at most `MAX_PACKETS_PER_POLL` packets.

engine.io's server answers a poll with every packet queued for the socket, in one payload. The
python-engineio client (python-socketio's `AsyncClient`/`Client`) refuses a payload of more than
16 packets (`engineio.payload.Payload.max_decode_packets`, a guard against oversized payloads),
drops the connection and, with it, every packet of that response: in a burst of 60 messages a
polling python client received 2-19 of them live. Capping each response at 16 leaves the rest
in the queue, in order, for the next poll (which the client sends at once); the JS client, which
has no such limit, just polls a few more times during a burst.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engineio import async_socket, exceptions

MAX_PACKETS_PER_POLL = 16  # python-engineio's Payload.max_decode_packets


class BoundedPollSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    """engine.io's socket, answering a poll with at most `MAX_PACKETS_PER_POLL` packets."""

    async def poll(self) -> list[Any]:
        wait = self.server.ping_interval + self.server.ping_timeout
        try:
            first = await asyncio.wait_for(self.queue.get(), wait)
        except (TimeoutError, asyncio.CancelledError):
            raise exceptions.QueueEmpty() from None
        self.queue.task_done()
        if first is None:  # the socket is closing
            return []
        packets = [first]
        while len(packets) < MAX_PACKETS_PER_POLL and not self.queue.empty():
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)  # keep the close marker for the writer
                break
            packets.append(pkt)
        return packets


def bound_polling(socket: Any) -> None:
    """Give a just-opened engine.io socket the bounded poll (it holds no state of its own)."""
    if type(socket) is async_socket.AsyncSocket:
        socket.__class__ = BoundedPollSocket
