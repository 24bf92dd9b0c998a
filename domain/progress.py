"""Luminary progress: constellations, attempts (+1 star, capped; completing one posts to the
feed) and focus sessions whose minutes roll up exactly into the user's total. Records live in
domain/progress_records.py, posts in domain/posts.py, totals and the summary in domain/stats.py.

Every write that touches a user's progress first locks that user's row (`uow.progress.lock_user`),
so minute totals, the current-attempt pointer and session states change one transaction at a
time per user, and all writers take their locks in the same order (user, then the rest)."""

from __future__ import annotations

from domain.errors import Conflict, Forbidden, NotFound
from domain.events import PostCreated
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory
from domain.posts import PostService
from domain.progress_records import (
    Attempt,
    AttemptView,
    Clock,
    Constellation,
    ConstellationView,
    FocusSession,
    SessionView,
    require_constellation,
    require_person,
    utc_now,
)

COMPLETION_MESSAGE = "I just finished this Constellation!"


class ProgressService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publisher: Publisher,
        posts: PostService,
        clock: Clock = utc_now,
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._posts = posts
        self._clock = clock

    # constellations

    async def create_constellation(self, caller: int, name: str, weight: int) -> ConstellationView:
        async with self._uow() as uow:
            constellation = await uow.progress.add_constellation(
                name, weight, caller, self._clock()
            )
            await uow.commit()
        return ConstellationView(constellation, [], [])

    async def constellations(
        self, caller: int, after: int | None, limit: int
    ) -> list[ConstellationView]:
        async with self._uow() as uow:
            items = await uow.progress.constellation_page(after, limit)
            return await uow.progress.constellation_views(items, caller)

    async def constellation(self, caller: int, constellation_id: int) -> ConstellationView:
        async with self._uow() as uow:
            item = await require_constellation(uow, constellation_id)
            return (await uow.progress.constellation_views([item], caller))[0]

    async def update_constellation(
        self, caller: int, constellation_id: int, name: str | None, weight: int | None
    ) -> ConstellationView:
        async with self._uow() as uow:
            item = await self._own_constellation(uow, caller, constellation_id, lock=True)
            reweighed = weight is not None and weight != item.weight
            if reweighed and await uow.progress.constellation_in_use(constellation_id):
                raise Conflict(
                    "The weight of a constellation with attempts cannot change",
                    {"weight": "constellation in use"},
                )
            await uow.progress.update_constellation(constellation_id, name, weight)
            item = await require_constellation(uow, constellation_id)
            view = (await uow.progress.constellation_views([item], caller))[0]
            await uow.commit()
        return view

    async def delete_constellation(self, caller: int, constellation_id: int) -> None:
        async with self._uow() as uow:
            await self._own_constellation(uow, caller, constellation_id, lock=True)
            if not await uow.progress.delete_constellation(constellation_id):
                raise Conflict(
                    "This constellation has attempts or posts and cannot be deleted",
                    {"constellation_id": "in use"},
                )
            await uow.commit()

    # attempts

    async def start_attempt(self, caller: int, user_id: int, constellation_id: int) -> AttemptView:
        self._require_self(caller, user_id)
        async with self._uow() as uow:
            await uow.progress.lock_user(caller)
            await require_constellation(uow, constellation_id)
            attempt_id = await uow.progress.add_attempt(caller, constellation_id, self._clock())
            await uow.progress.set_current_attempt(caller, attempt_id)
            view = await self._attempt_view(uow, caller, attempt_id)
            await uow.commit()
        return view

    async def my_attempts(self, caller: int, after: int | None, limit: int) -> list[AttemptView]:
        return await self.attempts_of(caller, caller, after, limit)

    async def attempts_of(
        self, caller: int, user_id: int, after: int | None, limit: int
    ) -> list[AttemptView]:
        async with self._uow() as uow:
            await require_person(uow, user_id)
            return await uow.progress.attempt_views_of(user_id, after, limit, caller)

    async def attempt(self, caller: int, attempt_id: int) -> AttemptView:
        async with self._uow() as uow:
            return await self._attempt_view(uow, caller, attempt_id)

    async def current_attempt(self, caller: int, user_id: int) -> AttemptView:
        async with self._uow() as uow:
            person = await uow.progress.user_progress_row(user_id)
            if person is None:
                raise NotFound("User not found!")
            if person.current_attempt_id is None:
                raise NotFound("No current attempt found!")
            return await self._attempt_view(uow, caller, person.current_attempt_id)

    async def add_star(self, caller: int, attempt_id: int) -> AttemptView:
        """+1 star, never past the weight; reaching it completes the attempt."""
        return (await self._advance(caller, attempt_id, to_weight=False))[0]

    async def complete_attempt(self, caller: int, attempt_id: int) -> tuple[AttemptView, bool]:
        """Stars := weight. Returns the attempt and whether the user's current pointer changed."""
        return await self._advance(caller, attempt_id, to_weight=True)

    async def _advance(
        self, caller: int, attempt_id: int, *, to_weight: bool
    ) -> tuple[AttemptView, bool]:
        events: list[PostCreated] = []
        pointer_cleared = False
        async with self._uow() as uow:
            attempt, constellation = await self._own_attempt(uow, caller, attempt_id)
            if attempt.completed_at is None:
                stars = constellation.weight if to_weight else attempt.stars_completed + 1
                stars = min(stars, constellation.weight)
                done = stars >= constellation.weight
                now = self._clock()
                await uow.progress.set_stars(attempt_id, stars, now if done else None)
                if done:
                    pointer_cleared = await uow.progress.clear_current_attempt(caller, attempt_id)
                    minutes = await uow.focus_sessions.completed_minutes(attempt_id)
                    _, created = await self._posts.add_in(
                        uow,
                        caller,
                        constellation.id,
                        "completion",
                        COMPLETION_MESSAGE,
                        minutes,
                        now,
                    )
                    events.append(created)
            view = await self._attempt_view(uow, caller, attempt_id)
            await uow.commit()
        await self._publisher.publish(*events)
        return view, pointer_cleared

    async def delete_attempt(self, caller: int, attempt_id: int) -> None:
        """Its sessions go with it; their completed minutes leave the user's total."""
        async with self._uow() as uow:
            await self._own_attempt(uow, caller, attempt_id)
            minutes = await uow.focus_sessions.completed_minutes(attempt_id)
            await uow.progress.clear_current_attempt(caller, attempt_id)
            await uow.progress.delete_attempt(attempt_id)
            await uow.progress.add_minutes(caller, -minutes)
            await uow.commit()

    # focus sessions

    async def create_session(
        self, caller: int, user_id: int | None, attempt_id: int, minutes: int
    ) -> SessionView:
        self._require_self(caller, caller if user_id is None else user_id)
        async with self._uow() as uow:
            await self._own_attempt(uow, caller, attempt_id)
            session_id = await uow.focus_sessions.add(caller, attempt_id, minutes, self._clock())
            view = (await uow.focus_sessions.views([session_id]))[0]
            await uow.commit()
        return view

    async def my_sessions(self, caller: int, after: int | None, limit: int) -> list[SessionView]:
        async with self._uow() as uow:
            return await uow.focus_sessions.views_of(caller, None, after, limit)

    async def sessions_of_attempt(
        self, caller: int, attempt_id: int, after: int | None, limit: int
    ) -> list[SessionView]:
        async with self._uow() as uow:
            attempt = await uow.progress.attempt(attempt_id)
            if attempt is None:
                raise NotFound("Constellation Attempt not found!")
            if attempt.user_id != caller:
                raise Forbidden("Only the owner can see an attempt's sessions")
            return await uow.focus_sessions.views_of(caller, attempt_id, after, limit)

    async def session(self, caller: int, session_id: int) -> SessionView:
        async with self._uow() as uow:
            views = await uow.focus_sessions.views([session_id])
        if not views or views[0].session.user_id != caller:
            raise NotFound("Session not found!")  # other users' sessions are private
        return views[0]

    async def complete_session(self, caller: int, session_id: int) -> SessionView:
        """pending → completed adds the minutes once; repeating it changes nothing."""
        async with self._uow() as uow:
            session = await self._own_session(uow, caller, session_id)
            if session.status == "cancelled":
                raise Conflict("A cancelled session cannot be completed", {"status": "cancelled"})
            now = self._clock()
            if await uow.focus_sessions.transition(session_id, "pending", "completed", now):
                await uow.progress.add_minutes(caller, session.minutes)
            view = (await uow.focus_sessions.views([session_id]))[0]
            await uow.commit()
        return view

    async def cancel_session(self, caller: int, session_id: int) -> SessionView:
        """pending or completed → cancelled; a completed session's minutes leave the total."""
        async with self._uow() as uow:
            session = await self._own_session(uow, caller, session_id)
            if await uow.focus_sessions.transition(session_id, "completed", "cancelled", None):
                await uow.progress.add_minutes(caller, -session.minutes)
            else:
                await uow.focus_sessions.transition(session_id, "pending", "cancelled", None)
            view = (await uow.focus_sessions.views([session_id]))[0]
            await uow.commit()
        return view

    async def delete_session(self, caller: int, session_id: int) -> None:
        async with self._uow() as uow:
            session = await self._own_session(uow, caller, session_id)
            await uow.focus_sessions.delete(session_id)
            if session.status == "completed":
                await uow.progress.add_minutes(caller, -session.minutes)
            await uow.commit()

    # helpers

    @staticmethod
    def _require_self(caller: int, user_id: int) -> None:
        if user_id != caller:
            raise Forbidden("You can only do this for your own account", {"user_id": "not you"})

    async def _own_constellation(
        self, uow: UnitOfWork, caller: int, constellation_id: int, lock: bool
    ) -> Constellation:
        item = await require_constellation(uow, constellation_id, lock=lock)
        if item.created_by != caller:
            raise Forbidden("Only the creator can change or delete this constellation")
        return item

    @staticmethod
    async def _own_attempt(
        uow: UnitOfWork, caller: int, attempt_id: int
    ) -> tuple[Attempt, Constellation]:
        """Locks the caller's row, then the attempt; refuses other users' attempts."""
        await uow.progress.lock_user(caller)
        attempt = await uow.progress.attempt(attempt_id, lock=True)
        if attempt is None:
            raise NotFound("Constellation Attempt not found!")
        if attempt.user_id != caller:
            raise Forbidden("This constellation attempt belongs to another user")
        return attempt, await require_constellation(uow, attempt.constellation_id)

    @staticmethod
    async def _own_session(uow: UnitOfWork, caller: int, session_id: int) -> FocusSession:
        await uow.progress.lock_user(caller)
        session = await uow.focus_sessions.get(session_id, lock=True)
        if session is None or session.user_id != caller:
            raise NotFound("Session not found!")
        return session

    @staticmethod
    async def _attempt_view(uow: UnitOfWork, caller: int, attempt_id: int) -> AttemptView:
        views = await uow.progress.attempt_views([attempt_id], caller)
        if not views:
            raise NotFound("Constellation Attempt not found!")
        return views[0]
