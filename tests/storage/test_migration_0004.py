"""0004 rebuilds users and messages on SQLite: every row (and the reactions that refer to the
messages) survives, foreign keys are on again afterwards, and ids are never reused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, insert, select, text

from storage.engine import create_engine
from storage.migrate import upgrade
from storage.tables import group_members, message_reactions, messages, study_groups, users
from storage.types import utcnow


def _user(email: str) -> dict[str, object]:
    now = utcnow()
    return {
        "email": email,
        "password_hash": "x",
        "name": email,
        "university": "",
        "major": "",
        "year": "",
        "learning_style": "",
        "subjects": [],
        "study_environments": [],
        "study_methods": [],
        "schedule": {},
        "performance_level": 3,
        "group_preferences": {},
        "timezone": "UTC",
        "calendar_token": email,
        "token_version": 0,
        "total_minutes": 0,
        "created_at": now,
        "updated_at": now,
    }


async def test_sqlite_rebuild_keeps_rows_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    try:
        await upgrade(engine, "0003")
        now = utcnow()
        async with engine.begin() as db:
            await db.execute(insert(users).values(**_user("a@uni.edu")))
            await db.execute(insert(users).values(**_user("b@uni.edu")))
            await db.execute(
                insert(study_groups).values(
                    id=1,
                    title="T",
                    subject="S",
                    description="",
                    schedule="",
                    location="",
                    max_members=6,
                    join_policy="open",
                    status="active",
                    leader_id=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            await db.execute(
                insert(group_members).values(
                    group_id=1, user_id=2, role="member", status="active", joined_at=now
                )
            )
            await db.execute(
                insert(messages).values(
                    id=1, group_id=1, user_id=2, content="hi", message_type="text", created_at=now
                )
            )
            await db.execute(
                insert(message_reactions).values(
                    message_id=1, user_id=1, emoji="👍", created_at=now
                )
            )
        await upgrade(engine)
        async with engine.begin() as db:
            assert (await db.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            for table in (users, group_members, messages, message_reactions):
                assert (await db.execute(select(func.count()).select_from(table))).scalar() >= 1
            await db.execute(delete(users).where(users.c.id == 2))  # the newest id
            author = (await db.execute(select(messages.c.user_id))).scalar()
            assert author is None  # SET NULL: the message stays
            await db.execute(insert(users).values(**_user("c@uni.edu")))
            ids = (await db.execute(select(users.c.id).order_by(users.c.id))).scalars().all()
            assert ids == [1, 3]  # AUTOINCREMENT: 2 is not handed out again
    finally:
        await engine.dispose()
