"""Admin-only routes (issue 13, finding 15): `[accounts] admins` (env ADMIN_EMAILS) decides who
may call `POST /api/users/sync-minutes/`; everyone else gets 403 `forbidden`."""

from __future__ import annotations

from settings import load_settings
from tests.helpers import expect_error, register

ADMINS = load_settings(environ={"ADMIN_EMAILS": " Root@Uni.edu , second@uni.edu"}).accounts


async def test_only_admins_may_sync_minutes(make_client) -> None:
    client = await make_client(accounts=ADMINS)
    admin = await register(client, email="root@uni.edu")
    student = await register(client)
    for path in ("/api/users/sync-minutes/", "/api/users/sync-minutes"):
        refused = await client.post(path, headers=student["headers"])
        await expect_error(refused, 403, "forbidden")
        allowed = await client.post(path, headers=admin["headers"])
        assert allowed.status == 200, await allowed.text()
        assert (await allowed.json())["checked"] == 2
    await expect_error(await client.post("/api/users/sync-minutes/"), 401, "unauthorized")


async def test_without_configured_admins_nobody_may_sync_minutes(client) -> None:
    account = await register(client, email="root@uni.edu")
    refused = await client.post("/api/users/sync-minutes/", headers=account["headers"])
    await expect_error(refused, 403, "forbidden")
