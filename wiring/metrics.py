"""Every Prometheus metric family of the contract (shared/api.md "Operations"), defined here
and nowhere else, on the app's own registry. The code that produces the numbers never imports
prometheus: the root subscribes counters to domain events, hands observers and labelled
counters (domain/counters.py) to storage, realtime and adapters, and reads gauges from the
objects that hold the numbers."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from domain.matching import MatchingService

MAIL_RESULTS = ("sent", "failed", "dropped")  # adapters/mail_queue.py's results
PUSH_RESULTS = ("sent", "gone", "retry", "failed", "dropped")  # the push dispatcher's
S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")
DB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        ProcessCollector(registry=registry)
        GCCollector(registry=registry)
        self.http_requests = Counter(
            "studysync_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_latency = Histogram(
            "studysync_http_request_seconds",
            "HTTP request latency (websocket sessions are not observed)",
            ["method", "route"],
            registry=registry,
        )
        self.socket_connections = Gauge(
            "studysync_socket_connections",
            "Open /chat sockets on this worker",
            registry=registry,
        )
        self.socket_events = Counter(
            "studysync_socket_events",
            "Client-to-server Socket.IO events received (names not handled: 'unknown')",
            ["event"],
            registry=registry,
        )
        self.messages_sent = Counter(
            "studysync_messages_sent", "Chat messages stored by this worker", registry=registry
        )
        self.db_seconds = Histogram(
            "studysync_db_seconds",
            "Unit-of-work (transaction) time",
            buckets=DB_BUCKETS,
            registry=registry,
        )
        self.matching_seconds = Histogram(
            "studysync_matching_seconds",
            "Matching query time by kind: groups, partners, both, search",
            ["kind"],
            registry=registry,
        )
        self.embed_queue = Gauge(
            "studysync_embed_queue",
            "Matching index refreshes (embeddings) pending",
            registry=registry,
        )
        self.push_sent = Counter(
            "studysync_push_sent",
            "Pushes by result: sent, gone (subscription deleted), retry, failed, dropped",
            ["result"],
            registry=registry,
        )
        self.mail_sent = Counter(
            "studysync_mail_sent",
            "Mails by final result: sent, failed (retries exhausted or refused), dropped",
            ["result"],
            registry=registry,
        )
        for result in MAIL_RESULTS:
            self.mail_sent.labels(result)
        for result in PUSH_RESULTS:
            self.push_sent.labels(result)

    def count_deliveries(self, read: Callable[[], int]) -> None:
        """`studysync_deliveries_total`: read from the Socket.IO manager's own counts."""
        self.registry.register(_DeliveriesCollector(read))


class _DeliveriesCollector(Collector):
    def __init__(self, read: Callable[[], int]) -> None:
        self._read = read

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            "studysync_deliveries", "Socket.IO frames written to sockets", value=self._read()
        )


def timed(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
    label: Callable[[inspect.BoundArguments], str],
    histogram_of: Callable[[S], Histogram],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """`method` itself, its every argument forwarded untouched, its time observed in
    `histogram_of(self)` under `label(the call's arguments, defaults applied)`. Forwarding (not
    restating the signature) is what keeps an override in step with the method it times."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    async def observed(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        kind = label(call)
        started = time.perf_counter()
        try:
            return await method(self, *args, **kwargs)
        finally:
            histogram_of(self).labels(kind).observe(time.perf_counter() - started)

    return observed


def _histogram(service: MatchingService) -> Histogram:
    assert isinstance(service, TimedMatching)  # the only class these wrappers are installed on
    return service.histogram


class TimedMatching(MatchingService):
    """The matching service with its queries observed in `studysync_matching_seconds{kind}`."""

    histogram: Histogram

    recommend = timed(
        MatchingService.recommend, lambda call: str(call.arguments["kind"]), _histogram
    )
    search = timed(MatchingService.search, lambda call: "search", _histogram)
