"""Push for members who are offline, off the request path.

The bus hands each push-worthy event to `on_event`, which only queues it (never waits, never
raises: a full queue drops and counts). Workers then ask the domain who should hear of it
(`PushService.plan`: levels, blocks, the actor), keep the recipients with no open socket on any
worker (the shared presence store), and send one push per subscription. A 404/410 deletes the
subscription; a 429/5xx or a network failure is tried again later (bounded, with backoff,
honouring Retry-After) without holding a worker; redirects are never followed (the senders).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from adapters.push import PushOutcome, PushResult, PushSender, PushSubscription, topic_for
from domain.errors import DomainError
from domain.events import MemberRequested, MessagePosted, NotificationCreated, SessionAnnounced
from domain.push import PushEvent, PushNotice, PushService
from domain.push_records import PushTarget
from wire.push import push_payload

log = logging.getLogger("studysync.push")

MAX_PLAN_BATCH = 100  # queued jobs taken at once; their posted messages are planned together
RESULTS = ("sent", "gone", "retry", "failed", "dropped")
DEFAULT_TTL = 24 * 3600  # a push older than a day is not worth showing


class Presence(Protocol):
    async def online(self, user_ids: Iterable[int]) -> list[int]: ...


class _Counter(Protocol):
    def labels(self, *values: str) -> Any: ...


@dataclass(frozen=True)
class Delivery:
    target: PushTarget
    notice: PushNotice
    queued_at: float
    attempt: int = 1


class PushDispatcher:
    def __init__(
        self,
        service: PushService,
        presence: Presence,
        senders: Mapping[str, PushSender],
        *,
        workers: int = 2,
        maxsize: int = 1000,
        ttl: int = DEFAULT_TTL,
        max_attempts: int = 3,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        counter: _Counter | None = None,
        on_sent: Callable[[float], None] | None = None,
    ) -> None:
        self.service = service
        self.presence = presence
        self.senders = dict(senders)
        self.ttl = ttl
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._counter = counter
        self._on_sent = on_sent
        self._workers_wanted = workers
        self._queue: asyncio.Queue[tuple[PushEvent, float] | Delivery] = asyncio.Queue(maxsize)
        self._workers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._closed = False

    async def start(self) -> None:
        for number in range(self._workers_wanted):
            self._workers.append(asyncio.create_task(self._run(), name=f"push-{number}"))

    async def on_event(self, event: PushEvent) -> None:
        """The bus handler: queue and return at once."""
        self._enqueue((event, time.monotonic()))

    def _enqueue(self, job: tuple[PushEvent, float] | Delivery) -> None:
        if self._closed:
            self._count("dropped")
            return
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            log.warning("push queue full: dropping a push")
            self._count("dropped")

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def drain(self, seconds: float = 10.0) -> None:
        """Wait until everything queued so far was handled (tests, shutdown)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), seconds)

    async def close(self, drain_seconds: float = 5.0) -> None:
        self._closed = True
        for timer in self._timers:
            timer.cancel()
        await self.drain(drain_seconds)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        for sender in self.senders.values():
            closing = getattr(sender, "close", None)
            if closing is not None:
                with contextlib.suppress(Exception):
                    await closing()

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            while len(jobs) < MAX_PLAN_BATCH and not self._queue.empty():
                jobs.append(self._queue.get_nowait())  # a burst: its messages planned together
            posted = [j for j in jobs if not isinstance(j, Delivery) and _is_posted(j[0])]
            try:
                if posted:
                    await _logged(self._fan_out_messages(posted))
                for job in jobs:
                    if isinstance(job, Delivery):
                        await _logged(self._deliver(job))
                    elif not _is_posted(job[0]):
                        await _logged(self._fan_out(*job))
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _fan_out_messages(self, jobs: list[tuple[PushEvent, float]]) -> None:
        """A burst of posted messages: one unit of work plans them all (domain/push_batch)."""
        messages = [cast(MessagePosted, event).message for event, _ in jobs]
        try:
            plans = await self.service.plan_messages(messages)
        except DomainError as error:  # the database is down: these pushes are lost, say so
            log.warning("push planning failed: %s", error.message)
            for _ in jobs:
                self._count("failed")
            return
        for (_, queued_at), plan in zip(jobs, plans, strict=True):
            if plan is not None:
                await self._send_plan(*plan, queued_at)

    async def _fan_out(self, event: PushEvent, queued_at: float) -> None:
        try:
            plan = await self.service.plan(event)
        except DomainError as error:  # the database is down: this push is lost, say so
            log.warning("push planning failed: %s", error.message)
            self._count("failed")
            return
        if plan is not None:
            await self._send_plan(*plan, queued_at)

    async def _send_plan(
        self, notice: PushNotice, targets: list[PushTarget], queued_at: float
    ) -> None:
        try:
            online = set(await self.presence.online({t.user_id for t in targets}))
        except DomainError:
            online = set()  # presence is down: better a push too many than one missing
        sends = [
            self._deliver(Delivery(target, notice, queued_at))
            for target in targets
            if target.user_id not in online and target.platform in self.senders
        ]
        await asyncio.gather(*sends)

    async def _deliver(self, delivery: Delivery) -> None:
        target, notice = delivery.target, delivery.notice
        subscription = PushSubscription(
            target.endpoint,
            target.p256dh,
            target.auth,
            target.platform,  # type: ignore[arg-type]  # the table's CHECK allows only these
        )
        payload = push_payload(notice)
        try:
            result = await self.senders[target.platform].send(
                subscription,
                payload,
                ttl=self.ttl,
                urgency=notice.urgency,  # type: ignore[arg-type]  # PushNotice uses the names
                topic=topic_for(notice.collapse_key),
            )
        except ValueError as error:  # refused before any POST (endpoint, keys, token format)
            result = PushResult(PushOutcome.GONE, None, None, str(error))
        await self._handle(delivery, result)

    async def _handle(self, delivery: Delivery, result: PushResult) -> None:
        target = delivery.target
        if result.outcome is PushOutcome.DELIVERED:
            self._count("sent")
            if self._on_sent is not None:
                self._on_sent(time.monotonic() - delivery.queued_at)
        elif result.outcome is PushOutcome.GONE:
            self._count("gone")
            log.info("push subscription %d gone (%s): deleted", target.subscription_id, result)
            with contextlib.suppress(DomainError):
                await self.service.forget(target.subscription_id)
        elif result.outcome is PushOutcome.RETRY and delivery.attempt < self.max_attempts:
            self._count("retry")
            delay = max(result.retry_after or 0.0, self.backoff(delivery.attempt))
            self._later(min(delay, self.max_delay), delivery)
        else:
            self._count("failed")
            log.warning("push to subscription %d failed: %s", target.subscription_id, result)

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    def _later(self, delay: float, delivery: Delivery) -> None:
        retry = Delivery(delivery.target, delivery.notice, delivery.queued_at, delivery.attempt + 1)

        def fire() -> None:
            self._timers.discard(handle)
            self._enqueue(retry)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(handle)

    def _count(self, result: str) -> None:
        if self._counter is not None:
            self._counter.labels(result).inc()


async def _logged(job: Awaitable[None]) -> None:
    try:
        await job
    except Exception:
        log.exception("push job failed")


def _is_posted(event: PushEvent) -> bool:
    return isinstance(event, MessagePosted)


def subscribe_push(
    subscribe: Callable[[type[Any], Callable[[Any], Awaitable[None]]], None],
    dispatcher: PushDispatcher,
) -> None:
    """The events that may push (see domain.push.PushService.plan)."""
    for event_type in (MessagePosted, NotificationCreated, MemberRequested, SessionAnnounced):
        subscribe(event_type, dispatcher.on_event)
