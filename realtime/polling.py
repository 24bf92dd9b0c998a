"""Two long-polling fixes to engine.io's socket (`LongPollSocket`).

1. A poll is answered with at most `MAX_PACKETS_PER_POLL` packets. engine.io's server answers
   a poll with every packet queued for the socket, in one payload. The python-engineio client
   (python-socketio's `AsyncClient`/`Client`) refuses a payload of more than 16 packets
   (`engineio.payload.Payload.max_decode_packets`, a guard against oversized payloads), drops
   the connection and, with it, every packet of that response: in a burst of 60 messages a
   polling python client received 2-19 of them live. Capping each response at 16 leaves the
   rest in the queue, in order, for the next poll (which the client sends at once); the JS
   client, which has no such limit, just polls a few more times during a burst.
2. When the client closes the session (its CLOSE packet), the long-poll it still has waiting
   is answered at once. engine.io closes such a socket without waking that request, which then
   held its handler until the ping timeout (up to 45 s), and the python client's `disconnect()`
   waited for it as long.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engineio import async_socket, exceptions

MAX_PACKETS_PER_POLL = 16  # python-engineio's Payload.max_decode_packets


class LongPollSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    """engine.io's socket with bounded poll answers and a prompt answer on close."""

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

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        polling = not (self.closed or self.closing or self.upgraded)
        await super().close(wait=wait, abort=abort, reason=reason)
        if polling and abort:  # nothing was queued for the client's waiting poll: end it
            self.queue.put_nowait(None)


def use_long_poll_fixes(socket: Any) -> None:
    """Give a just-opened engine.io socket the fixes (the subclass holds no state of its own)."""
    if type(socket) is async_socket.AsyncSocket:
        socket.__class__ = LongPollSocket
