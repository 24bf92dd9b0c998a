"""Demo data: `python server.py seed-demo --users N --groups M`.

Everything goes through the domain services of a fully wired (but not listening) application, so
the same rules, events and embeddings apply as for real clients. Deterministic: user i is always
demo<i>@demo.edu with the same profile, group j always has the same title and leader, and message
k of group j carries the clientId `demo-g<j>-m<k>`. A second run finds what exists and adds
nothing; a larger --users/--groups adds only the new students and groups (existing demo groups,
their members and messages are left as they are).
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from tqdm import tqdm

from app import create_app
from commands.demo_data import (
    CONSTELLATIONS,
    DEMO_PASSWORD,
    MESSAGES,
    REACTIONS,
    GroupPlan,
    demo_profile,
    demo_rhythm,
    demo_subjects,
    group_plan,
)
from domain.chat import NewMessage
from domain.errors import Conflict, DomainError
from settings import Settings
from wiring.keys import SERVICES

DEMO_BCRYPT_ROUNDS = 4
REINDEX_BATCH = 64
REGISTER_CONCURRENCY = 4
DEMO_LOGIN_GROUPS = (0, 4)  # demo001 is in these groups and recommended the others


@dataclass
class Counts:
    users: int = 0
    groups: int = 0
    memberships: int = 0
    messages: int = 0
    reactions: int = 0
    group_sessions: int = 0
    focus_sessions: int = 0

    def summary(self) -> str:
        return ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in vars(self).items())


class DemoSeeder:
    def __init__(self, app: web.Application, rng_seed: str = "studysync-demo") -> None:
        self.app = app
        services = app[SERVICES]  # built by the composition root
        self.uow = services.uow
        self.users = services.users
        self.groups = services.groups
        self.chat = services.chat
        self.sessions = services.sessions
        self.progress = services.progress
        self.counts = Counts()
        self.notes: list[str] = []
        self._created: set[int] = set()  # users registered by this run
        self._existing_titles: set[str] = set()
        self.seed = rng_seed

    async def run(self, n_users: int, n_groups: int, bar: tqdm) -> list[int]:
        user_ids = await self._users(n_users, bar)
        constellations = await self._constellations(user_ids[0])
        self._existing_titles = await self._demo_group_titles(user_ids)
        for index in range(n_groups):
            bar.set_postfix_str("groups")
            await self._group(index, user_ids)
            bar.update(1)
        for index, user_id in enumerate(user_ids):
            if self._new_user(user_id):
                await self._progress(index + 1, user_id, constellations)
        return user_ids

    # ---- users ----------------------------------------------------------------------------

    async def _users(self, n_users: int, bar: tqdm) -> list[int]:
        ids: list[int] = [0] * n_users
        gate = asyncio.Semaphore(REGISTER_CONCURRENCY)  # bcrypt runs in worker threads

        async def one(index: int) -> None:
            async with gate:
                ids[index - 1] = await self._user(index)
            bar.set_postfix_str("students")
            bar.update(1)

        await asyncio.gather(*(one(i) for i in range(1, n_users + 1)))
        return ids

    async def _user(self, index: int) -> int:
        profile = demo_profile(index)
        existing = await self._user_id(profile["email"])
        if existing is not None:
            return existing
        try:
            user = (await self.users.register(dict(profile), DEMO_PASSWORD)).user
        except Conflict:  # registered meanwhile by another seeder
            found = await self._user_id(profile["email"])
            assert found is not None
            return found
        self._created.add(user.id)
        self.counts.users += 1
        return user.id

    async def _user_id(self, email: str) -> int | None:
        async with self.uow() as uow:
            credentials = await uow.users.credentials_by_email(email)
        return credentials.user_id if credentials else None

    def _new_user(self, user_id: int) -> bool:
        return user_id in self._created

    # ---- groups, members, messages, sessions ----------------------------------------------

    async def _group(self, index: int, user_ids: list[int]) -> None:
        """A group forms around a subject and a time: a student taking the subject leads it,
        classmates with the same weekly rhythm join."""
        plan = group_plan(index)
        if plan.title in self._existing_titles:
            return  # an existing demo group is left exactly as it is
        n = len(user_ids)
        takers = [
            i
            for i in range(1, n + 1)
            if plan.subject in demo_subjects(i) and (i != 1 or index in DEMO_LOGIN_GROUPS)
        ] or [index % n + 1]
        rhythm = Counter(demo_rhythm(i) for i in takers).most_common(1)[0][0]
        in_rhythm = [i for i in takers if demo_rhythm(i) == rhythm]
        leader_index = in_rhythm[index * 7 % len(in_rhythm)]
        leader = user_ids[leader_index - 1]
        group_id = await self._create_group(plan, leader)
        rng = random.Random(f"{self.seed}-members-{index}")
        fits = [i for i in in_rhythm if i != leader_index]
        rng.shuffle(fits)
        chosen = fits[: rng.randint(2, plan.max_members - 1)]
        if index in DEMO_LOGIN_GROUPS and leader_index != 1 and 1 not in chosen:
            chosen = [1, *chosen[: plan.max_members - 2]]  # the demo login has rooms to open
        members = [user_ids[i - 1] for i in chosen]
        speakers = [leader]
        for user_id in members:
            if await self._join(group_id, leader, user_id):
                speakers.append(user_id)
        await self._messages(index, group_id, speakers, rng)
        await self._group_sessions(index, group_id, speakers, rng)

    async def _create_group(self, plan: GroupPlan, leader: int) -> int:
        group = await self.groups.create(leader, plan)
        self.counts.groups += 1
        return group.id

    async def _demo_group_titles(self, user_ids: list[int]) -> set[str]:
        """Titles of the groups demo students are already in (demo titles are unique)."""
        titles: set[str] = set()
        for user_id in user_ids:
            titles.update(item.group.title for item in await self.groups.mine(user_id))
        return titles

    async def _join(self, group_id: int, leader: int, user_id: int) -> bool:
        """Join (approval groups: ask, and the leader approves). False when the group is full."""
        try:
            result = await self.groups.join(user_id, group_id)
            if result.status == "pending":
                await self.groups.decide(leader, group_id, user_id, approve=True)
        except Conflict:
            return False
        self.counts.memberships += 1
        return True

    async def _messages(
        self, index: int, group_id: int, speakers: list[int], rng: random.Random
    ) -> None:
        subject = group_plan(index).subject
        count = rng.randint(8, len(MESSAGES))
        for k, template in enumerate(MESSAGES[:count]):
            author = speakers[k % len(speakers)] if k else speakers[0]
            new = NewMessage(
                group_id,
                template.format(subject=subject),
                "announcement" if k == 0 else "text",
                client_id=f"demo-g{index}-m{k}",
            )
            try:
                message, created = await self.chat.send(author, new)
            except DomainError:  # e.g. the author could not join a full group
                continue
            if not created:
                continue
            self.counts.messages += 1
            for emoji in rng.sample(REACTIONS, rng.choice([0, 0, 1, 2])):
                reactor = rng.choice(speakers)
                await self.chat.react(reactor, message.id, emoji)
                self.counts.reactions += 1

    async def _group_sessions(
        self, index: int, group_id: int, speakers: list[int], rng: random.Random
    ) -> None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        subject = group_plan(index).subject
        for offset_days, title in ((2, f"{subject} review"), (9, "Practice exam")):
            start = now + timedelta(days=offset_days, hours=rng.randint(0, 6))
            fields = {
                "title": title,
                "description": "Bring your questions and the latest problem set.",
                "location": group_plan(index).location,
                "scheduled_time": start,
                "duration_minutes": rng.choice([60, 90, 120]),
            }
            session = await self.sessions.schedule(speakers[0], group_id, fields)
            self.counts.group_sessions += 1
            for user_id in speakers[1:]:
                status = rng.choice(["going", "going", "maybe", "not_going"])
                await self.sessions.rsvp(user_id, session.id, status)

    # ---- progress (constellations, attempts, focus sessions) -----------------------------

    async def _constellations(self, owner: int) -> list[tuple[int, int]]:
        existing = await self.progress.constellations(owner, None, 200)
        by_name = {view.constellation.name: view.constellation for view in existing}
        result = []
        for name, weight in CONSTELLATIONS:
            item = by_name.get(name)
            if item is None:
                item = (await self.progress.create_constellation(owner, name, weight)).constellation
            result.append((item.id, item.weight))
        return result

    async def _progress(
        self, index: int, user_id: int, constellations: list[tuple[int, int]]
    ) -> None:
        rng = random.Random(f"{self.seed}-progress-{index}")
        constellation_id, weight = rng.choice(constellations)
        attempt = await self.progress.start_attempt(user_id, user_id, constellation_id)
        attempt_id = attempt.attempt.id
        for _ in range(rng.randint(1, weight)):
            view = await self.progress.create_session(
                user_id, user_id, attempt_id, rng.choice([25, 30, 45, 50])
            )
            await self.progress.complete_session(user_id, view.session.id)
            await self.progress.add_star(user_id, attempt_id)
            self.counts.focus_sessions += 1


class DeferredEmbedder:
    """Stands in for the model while seeding: profiles are stored without vectors (as they are
    while a server's model loads), then `reindex` embeds all of them in batches afterwards —
    much faster than one profile per event."""

    name = "deferred"
    state = "failed"

    async def start(self) -> None:
        return None

    async def wait_ready(self, within_seconds: float) -> bool:
        return False

    async def encode(self, texts: list[str]) -> Any:
        raise RuntimeError("embeddings are computed after seeding")

    def close(self) -> None:
        return None


async def seed(
    settings: Settings,
    n_users: int,
    n_groups: int,
    embedder: str | None = None,
    show_progress: bool = True,
) -> DemoSeeder:
    """Seed, then embed every profile still missing a vector with `embedder` (default: the
    configured one) through `server.py reindex --only-stale`'s code path."""
    # For this process only: seeding sends many messages per student within a minute, so the
    # chat send rate is lifted; and the demo accounts share a published password, so bcrypt's
    # full cost (~0.3 s a hash here) would only slow seeding down — the cost is stored in each
    # hash, so logins verify as usual. Every other rule applies unchanged.
    seeding = replace(
        settings,
        bcrypt_rounds=min(settings.bcrypt_rounds, DEMO_BCRYPT_ROUNDS),
        chat=replace(settings.chat, send_rate_per_minute=1_000_000),
    )
    app = create_app(seeding, overrides={"embedder": DeferredEmbedder()})
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()  # storage, services and the matching index, without a listener
    try:
        seeder = DemoSeeder(app)
        with tqdm(
            total=n_users + n_groups,
            desc="seeding demo data",
            unit="item",
            file=sys.stderr,
            disable=not show_progress,
        ) as bar:
            await seeder.run(n_users, n_groups, bar)
    finally:
        await runner.cleanup()
    from commands.reindex import run_reindex

    kind = embedder or settings.matching.embedder
    if await run_reindex(settings, kind, REINDEX_BATCH, only_stale=True) is None:
        seeder.notes.append(
            "the model could not be loaded: profiles are embedded when the server's model loads"
        )
    return seeder
