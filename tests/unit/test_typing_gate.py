"""The typing gate: one start per interval per (user, group), stops after a start always
relayed, repeated stops dropped, and the state bounded."""

from __future__ import annotations

from realtime.typing_gate import TypingGate


def test_one_start_per_interval_and_the_stop_after_it() -> None:
    now = [0.0]
    gate = TypingGate(interval=2.0, clock=lambda: now[0])
    assert gate.allow(1, 7, True)
    assert [gate.allow(1, 7, True) for _ in range(100)] == [False] * 100
    assert gate.allow(2, 7, True) and gate.allow(1, 8, True)  # per user and group
    assert gate.allow(1, 7, False)  # the stop goes through
    assert not gate.allow(1, 7, False) and not gate.allow(1, 7, True)
    now[0] = 2.01
    assert gate.allow(1, 7, True)


def test_a_stop_without_a_known_start_is_relayed_once() -> None:
    now = [0.0]
    gate = TypingGate(interval=2.0, clock=lambda: now[0])
    assert gate.allow(1, 7, False)
    assert not gate.allow(1, 7, False)


def test_state_holds_only_recent_keys_and_at_most_max_keys() -> None:
    now = [0.0]
    gate = TypingGate(interval=2.0, max_keys=50, clock=lambda: now[0])
    for group in range(1000):
        gate.allow(1, group, True)
    assert len(gate) <= 50
    now[0] = 5.0
    gate.allow(2, 1, True)
    assert len(gate) == 1
