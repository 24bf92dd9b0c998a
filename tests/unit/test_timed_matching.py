"""wiring/metrics.py `timed`: the matching service's queries are forwarded untouched (every
argument, positional or keyword, defaults included) and timed, even when they raise."""

from __future__ import annotations

import inspect

import pytest
from prometheus_client import CollectorRegistry, Histogram

from domain.matching import MatchingService
from wiring.metrics import TimedMatching, timed


class Finder:
    def __init__(self) -> None:
        self.histogram = Histogram("t_seconds", "t", ["kind"], registry=CollectorRegistry())

    async def find(
        self, query: str, limit: int, subjects: tuple[str, ...] = (), *, people_only: bool = False
    ) -> tuple[str, int, tuple[str, ...], bool]:
        if query == "boom":
            raise ValueError(query)
        return query, limit, subjects, people_only


class TimedFinder(Finder):
    find = timed(
        Finder.find,
        lambda call: "people" if call.arguments["people_only"] else "all",
        lambda finder: finder.histogram,
    )


def count(finder: Finder, kind: str) -> float:
    for sample in finder.histogram.collect()[0].samples:
        if sample.name == "t_seconds_count" and sample.labels == {"kind": kind}:
            return sample.value
    return 0.0


async def test_forwards_every_argument_and_observes_each_call() -> None:
    finder = TimedFinder()
    assert await finder.find("x", 3) == ("x", 3, (), False)
    assert await finder.find("y", 4, ("math",), people_only=True) == ("y", 4, ("math",), True)
    assert await finder.find(limit=5, query="z") == ("z", 5, (), False)
    assert count(finder, "all") == 2
    assert count(finder, "people") == 1


async def test_a_call_that_raises_is_observed_and_the_error_kept() -> None:
    finder = TimedFinder()
    with pytest.raises(ValueError, match="boom"):
        await finder.find("boom", 1)
    assert count(finder, "all") == 1


async def test_a_call_with_wrong_arguments_fails_as_the_method_would() -> None:
    finder = TimedFinder()
    with pytest.raises(TypeError):
        await finder.find("x", 1, people_only=True, unknown=1)  # type: ignore[call-arg]
    assert count(finder, "people") == 0


def test_timed_matching_wraps_the_services_own_methods() -> None:
    """No restated signatures: each query is MatchingService's own, wrapped."""
    for name in ("recommend", "search"):
        wrapper = getattr(TimedMatching, name)
        assert wrapper.__wrapped__ is getattr(MatchingService, name)
        assert inspect.signature(wrapper) == inspect.signature(getattr(MatchingService, name))
