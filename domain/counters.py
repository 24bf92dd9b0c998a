"""What domain, realtime and adapter code counts with, as protocols: the composition root
injects prometheus-client's objects (wiring/metrics.py), tests may inject anything with the same
methods, and no module outside wiring/ and api/ imports prometheus."""

from __future__ import annotations

from typing import Protocol


class Incrementable(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class LabelledCounter(Protocol):
    """A counter with labels, e.g. `counter.labels("sent").inc()`."""

    def labels(self, *labelvalues: str) -> Incrementable: ...
