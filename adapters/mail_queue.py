"""Sending mail off the request path: a bounded queue, one worker, bounded retries.

`submit()` never waits and never raises: a request that commits a mail carries on whatever the
mail server does. Each mail ends as one of three results, each logged and counted:
`sent`, `failed` (attempts used up, or a permanent 5xx refusal) or `dropped` (queue full, queue
closed, or still queued when `close()` gave up).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter

from adapters.mail import Mailer, OutgoingMail, PermanentMailError

log = logging.getLogger("studysync.mail")

RESULTS = ("sent", "failed", "dropped")


class _LabelledCounter(Protocol):
    def labels(self, *labelvalues: str) -> _Incrementable: ...


class _Incrementable(Protocol):
    def inc(self, amount: float = 1) -> None: ...


def mail_sent_counter(registry: CollectorRegistry) -> Counter:
    """`studysync_mail_sent_total{result}` in the given registry (never the global one)."""
    return Counter(
        "studysync_mail_sent",
        "Mails by final result: sent, failed (retries exhausted or refused), dropped",
        ["result"],
        registry=registry,
    )


class MailQueue:
    def __init__(
        self,
        mailer: Mailer,
        *,
        maxsize: int = 1000,
        max_attempts: int = 5,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        on_result: Callable[[str], None] | None = None,
        counter: _LabelledCounter | None = None,
        registry: CollectorRegistry | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.mailer = mailer
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._queue: asyncio.Queue[OutgoingMail] = asyncio.Queue(maxsize=maxsize)
        self._on_result = on_result
        self._counter = counter if counter is not None else _counter_in(registry)
        self._sleep = sleep
        self._worker: asyncio.Task[None] | None = None
        self._current: OutgoingMail | None = None
        self._closed = False

    async def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="mail-queue")

    def submit(self, mail: OutgoingMail) -> bool:
        """Queue the mail; False (logged, counted `dropped`) when closed or full. Never blocks."""
        if self._closed:
            self._finish(mail, "dropped", "the mail queue is closed")
            return False
        try:
            self._queue.put_nowait(mail)
        except asyncio.QueueFull:
            self._finish(mail, "dropped", "the mail queue is full")
            return False
        return True

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def close(self, drain_seconds: float = 10.0, *, cancel_grace: float = 1.0) -> None:
        """Stop accepting, give queued mail `drain_seconds` to go out, then drop the rest.

        A cancelled aiosmtplib send may still wait for the server to answer QUIT; the worker gets
        `cancel_grace` seconds for that and is then left to finish on its own."""
        self._closed = True
        worker, self._worker = self._worker, None
        if worker is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), drain_seconds)
            worker.cancel()
            if self._current is not None:
                self._finish(self._current, "dropped", "the mail queue closed while sending")
                self._current = None
            done, _ = await asyncio.wait({worker}, timeout=cancel_grace)
            if not done:
                log.warning("mail worker still closing its SMTP connection; not waiting longer")
        self._drop_queued()

    def backoff(self, attempt: int) -> float:
        """Delay after the `attempt`-th failure: exponential, capped, with "equal jitter"
        (half fixed, half random) so many queued mails do not hit a recovering server at once."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    async def _run(self) -> None:
        while True:
            mail = self._current = await self._queue.get()
            try:
                await self._deliver(mail)
            finally:
                self._current = None
                self._queue.task_done()

    async def _deliver(self, mail: OutgoingMail) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.mailer.send(mail)
            except PermanentMailError as error:
                self._finish(mail, "failed", f"refused: {error}")
                return
            except Exception as error:  # any transport failure is worth another try
                if attempt == self.max_attempts:
                    self._finish(mail, "failed", f"{attempt} attempts, last: {error!r}")
                    return
                delay = self.backoff(attempt)
                log.info(
                    "mail to %s: attempt %d failed (%r); retry in %.1fs",
                    mail.to,
                    attempt,
                    error,
                    delay,
                )
                await self._sleep(delay)
            else:
                self._finish(mail, "sent", None)
                return

    def _drop_queued(self) -> None:
        while not self._queue.empty():
            mail = self._queue.get_nowait()
            self._queue.task_done()
            self._finish(mail, "dropped", "still queued when the mail queue closed")

    def _finish(self, mail: OutgoingMail, result: str, reason: str | None) -> None:
        if result == "sent":
            log.debug("mail to %s (%s) sent", mail.to, mail.subject)
        else:
            log.error("mail to %s (%s) %s: %s", mail.to, mail.subject, result, reason)
        if self._counter is not None:
            self._counter.labels(result).inc()
        if self._on_result is not None:
            try:
                self._on_result(result)
            except Exception:
                log.exception("mail result callback failed")


def _counter_in(registry: CollectorRegistry | None) -> Counter | None:
    return mail_sent_counter(registry) if registry is not None else None
