"""Every Prometheus metric family of the contract (shared/api.md "Operations"), defined here
and nowhere else, on the app's own registry. The code that produces the numbers never imports
prometheus: the root subscribes counters to domain events, hands observers and labelled
counters (domain/counters.py) to storage, realtime and adapters, and reads gauges from the
objects that hold the numbers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

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
from domain.matching_records import Recommendations, SearchHit

MAIL_RESULTS = ("sent", "failed", "dropped")  # adapters/mail_queue.py's results
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
            "studysync_push_sent", "Push notifications by result", ["result"], registry=registry
        )
        self.mail_sent = Counter(
            "studysync_mail_sent",
            "Mails by final result: sent, failed (retries exhausted or refused), dropped",
            ["result"],
            registry=registry,
        )
        for result in MAIL_RESULTS:
            self.mail_sent.labels(result)

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


class TimedMatching(MatchingService):
    """The matching service with its queries observed in `studysync_matching_seconds{kind}`."""

    histogram: Histogram

    async def recommend(self, user_id: int, kind: str, limit: int) -> Recommendations:
        started = time.perf_counter()
        try:
            return await super().recommend(user_id, kind, limit)
        finally:
            self.histogram.labels(kind).observe(time.perf_counter() - started)

    async def search(
        self,
        user_id: int,
        query: str,
        limit: int,
        subjects: Sequence[str] = (),
        *,
        people_only: bool = False,
    ) -> list[SearchHit]:
        started = time.perf_counter()
        try:
            return await super().search(user_id, query, limit, subjects, people_only=people_only)
        finally:
            self.histogram.labels("search").observe(time.perf_counter() - started)
