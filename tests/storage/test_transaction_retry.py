"""A transaction the database aborts (deadlock, lock wait timeout, serialisation failure, SQLite
busy) is run again as a whole, logged, and answered `unavailable` only when retries run out."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import exc

from storage.engine import create_engine
from storage.repositories.chat import SqlChatRepository
from storage.uow import TransactionConflict, UnitOfWorkFactory, conflict_reason
from tests.api.test_chat import room, send
from tests.helpers import expect_error


class _DriverError(Exception):
    """Stands in for a driver exception: asyncmy's carry (errno, message) in args."""

    def __init__(self, *args: object, sqlstate: str | None = None) -> None:
        super().__init__(*args)
        self.sqlstate = sqlstate


def deadlock() -> exc.OperationalError:
    return exc.OperationalError(
        "DELETE FROM message_reactions ...", {}, _DriverError(1213, "Deadlock found")
    )


@pytest.mark.parametrize(
    ("original", "reason"),
    [
        (_DriverError(1213, "Deadlock found when trying to get lock"), "deadlock (1213)"),
        (_DriverError(1205, "Lock wait timeout exceeded"), "lock wait timeout (1205)"),
        (_DriverError("could not serialize access", sqlstate="40001"), "serialisation failure"),
        (_DriverError("deadlock detected", sqlstate="40P01"), "deadlock (40P01)"),
        (_DriverError("database is locked"), "sqlite busy"),
        (_DriverError(2003, "Can't connect to MySQL server"), None),
        (_DriverError("UNIQUE constraint failed"), None),
    ],
)
def test_which_errors_are_conflicts(original: _DriverError, reason: str | None) -> None:
    found = conflict_reason(exc.OperationalError("SELECT 1", {}, original))
    assert (found is None) if reason is None else (found is not None and reason in found)


async def test_a_simulated_deadlock_reruns_the_whole_transaction_and_is_logged(
    sqlite_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(sqlite_database_url)
    uow = UnitOfWorkFactory(engine, attempts=3, base_delay=0.001)
    calls = 0

    async def work(unit) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise deadlock()
        await unit.commit()
        return calls

    try:
        with caplog.at_level(logging.WARNING, logger="studysync.storage"):
            assert await uow.run(work) == 2
        assert calls == 2
        (record,) = [r for r in caplog.records if r.name == "studysync.storage"]
        assert record.levelno == logging.WARNING
        assert "deadlock (1213)" in record.getMessage() and "attempt 1 of 3" in record.getMessage()
    finally:
        await engine.dispose()


async def test_retries_run_out_into_unavailable(
    sqlite_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(sqlite_database_url)
    uow = UnitOfWorkFactory(engine, attempts=3, base_delay=0.001)
    calls = 0

    async def work(unit) -> None:
        nonlocal calls
        calls += 1
        raise deadlock()

    try:
        with (
            caplog.at_level(logging.WARNING, logger="studysync.storage"),
            pytest.raises(TransactionConflict) as raised,
        ):
            await uow.run(work)
        assert raised.value.code == "unavailable" and calls == 3
        levels = [r.levelno for r in caplog.records if r.name == "studysync.storage"]
        assert levels == [logging.WARNING, logging.WARNING, logging.ERROR]
    finally:
        await engine.dispose()


async def test_a_reaction_hit_by_a_deadlock_is_retried_by_the_app(
    client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    gid, leader, _, _ = await room(client)
    message = await send(client, gid, leader)
    original = SqlChatRepository.toggle_reaction
    failures = {"left": 2}

    async def deadlocking_toggle(self, *args):
        if failures["left"]:
            failures["left"] -= 1
            raise deadlock()
        return await original(self, *args)

    monkeypatch.setattr(SqlChatRepository, "toggle_reaction", deadlocking_toggle)
    url = f"/api/chat/message/{message['id']}/react"
    with caplog.at_level(logging.WARNING, logger="studysync.storage"):
        response = await client.post(url, json={"emoji": "👍"}, headers=leader["headers"])
    assert response.status == 200, await response.text()
    assert [r["count"] for r in (await response.json())["reactions"]] == [1]
    assert sum("deadlock" in r.getMessage() for r in caplog.records) == 2

    failures["left"] = 100  # never succeeds: unavailable, not a 500
    await expect_error(
        await client.post(url, json={"emoji": "🎉"}, headers=leader["headers"]), 503, "unavailable"
    )
