"""The token denylist in the database: logouts are idempotent under concurrency, and rows of
tokens that have expired anyway are pruned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from storage.tables import revoked_tokens
from tests.helpers import expect_error, register
from wiring.keys import ENGINE, USERS


async def test_parallel_logouts_of_one_token_never_fail(client) -> None:
    account = await register(client)
    responses = await asyncio.gather(
        *(client.post("/api/auth/logout", headers=account["headers"]) for _ in range(8))
    )
    statuses = [response.status for response in responses]
    assert 200 in statuses and set(statuses) <= {200, 401}, statuses
    await expect_error(await client.get("/api/auth/me", headers=account["headers"]), 401)


async def test_expired_denylist_rows_are_pruned(client) -> None:
    app = client.server.app
    account = await register(client)
    assert (await client.post("/api/auth/logout", headers=account["headers"])).status == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with app[ENGINE].begin() as connection:
        rows = [{"token_id": f"old{n}", "expires_at": past} for n in range(3)]
        await connection.execute(insert(revoked_tokens), rows)
    assert await app[USERS].prune_revoked_tokens() == 3
    async with app[ENGINE].connect() as connection:
        left = await connection.scalar(select(func.count()).select_from(revoked_tokens))
    assert left == 1  # the live logout stays
    await expect_error(await client.get("/api/auth/me", headers=account["headers"]), 401)
