"""Luminary posts and the feed. Posts are public; only their author deletes them. New posts are
announced (PostCreated) to the author's active groups, after commit."""

from __future__ import annotations

from datetime import datetime

from domain.errors import Forbidden, NotFound
from domain.events import PostCreated
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory
from domain.progress_records import Clock, PostView, require_constellation, require_person, utc_now


class PostService:
    def __init__(
        self, uow: UnitOfWorkFactory, publisher: Publisher, clock: Clock = utc_now
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._clock = clock

    async def create(
        self,
        caller: int,
        user_id: int | None,
        constellation_id: int,
        post_type: str,
        message: str | None,
        study_duration: int | None,
    ) -> PostView:
        if user_id is not None and user_id != caller:
            raise Forbidden("You can only post as yourself", {"user_id": "not you"})
        async with self._uow() as uow:
            await require_constellation(uow, constellation_id)
            view, created = await self.add_in(
                uow, caller, constellation_id, post_type, message, study_duration, self._clock()
            )
            await uow.commit()
        await self._publisher.publish(created)
        return view

    @staticmethod
    async def add_in(
        uow: UnitOfWork,
        author: int,
        constellation_id: int,
        post_type: str,
        message: str | None,
        study_duration: int | None,
        now: datetime,
    ) -> tuple[PostView, PostCreated]:
        """Adds a post inside the caller's unit of work; publish the event after its commit."""
        post_id = await uow.posts.add(
            author, constellation_id, post_type, message, study_duration, now
        )
        view = (await uow.posts.views([post_id]))[0]
        return view, PostCreated(view, tuple(await uow.groups.active_group_ids(author)))

    async def get(self, post_id: int) -> PostView:
        async with self._uow() as uow:
            views = await uow.posts.views([post_id])
        if not views:
            raise NotFound("Post not found!")
        return views[0]

    async def page(self, before: int | None, limit: int) -> list[PostView]:
        async with self._uow() as uow:
            return await uow.posts.page(before=before, limit=limit)

    async def of_user(self, user_id: int, before: int | None, limit: int) -> list[PostView]:
        async with self._uow() as uow:
            await require_person(uow, user_id)
            return await uow.posts.page(before=before, limit=limit, user_id=user_id)

    async def of_constellation(
        self, constellation_id: int, before: int | None, limit: int
    ) -> list[PostView]:
        async with self._uow() as uow:
            await require_constellation(uow, constellation_id)
            return await uow.posts.page(
                before=before, limit=limit, constellation_id=constellation_id
            )

    async def feed(self, caller: int, before: int | None, limit: int) -> list[PostView]:
        """The caller's posts and those of the active members of the caller's groups."""
        async with self._uow() as uow:
            return await uow.posts.page(before=before, limit=limit, feed_of=caller)

    async def delete(self, caller: int, post_id: int) -> None:
        async with self._uow() as uow:
            views = await uow.posts.views([post_id])
            if not views:
                raise NotFound("Post not found!")
            if views[0].post.user_id != caller:
                raise Forbidden("Only the author can delete this post")
            await uow.posts.delete(post_id)
            await uow.commit()
