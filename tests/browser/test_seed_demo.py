"""`python server.py seed-demo`: realistic data through the services, and idempotent."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from commands.demo_data import DEMO_PASSWORD, demo_profile
from domain.security import PasswordHasher

ROOT = Path(__file__).resolve().parents[2]
TABLES = [
    "users",
    "study_groups",
    "group_members",
    "messages",
    "message_reactions",
    "group_sessions",
    "session_rsvps",
    "constellations",
    "constellation_attempts",
    "focus_sessions",
    "user_embeddings",
    "notifications",
]


def write_config(directory: Path) -> Path:
    config = directory / "config.toml"
    config.write_text(
        f'database_url = "sqlite+aiosqlite:///{directory}/app.db"\n'
        f'jwt_secret_file = "{directory}/secret"\n'
        '[matching]\nembedder = "hashing"\n'
    )
    return config


def seed_demo(config: Path, users: int, groups: int) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "server.py",
            "--config",
            str(config),
            "seed-demo",
            "--users",
            str(users),
            "--groups",
            str(groups),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


async def test_seed_demo_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    first = seed_demo(config, users=8, groups=3)
    assert "added 8 users, 3 groups" in first
    assert "demo login: demo001@demo.edu / studysync-demo" in first
    after_first = counts(tmp_path / "app.db")
    assert after_first["users"] == 8 and after_first["study_groups"] == 3
    for table in (
        "group_members",
        "messages",
        "message_reactions",
        "group_sessions",
        "focus_sessions",
        "constellation_attempts",
    ):
        assert after_first[table] > 0, table
    assert after_first["user_embeddings"] == 8  # every profile was embedded through the service

    second = seed_demo(config, users=8, groups=3)
    assert "added 0 users, 0 groups, 0 memberships, 0 messages, 0 reactions" in second
    assert counts(tmp_path / "app.db") == after_first

    with sqlite3.connect(tmp_path / "app.db") as db:
        rows = db.execute(
            "SELECT email, name, major, learning_style, performance_level, password_hash "
            "FROM users ORDER BY email"
        ).fetchall()
    assert [row[0] for row in rows] == [f"demo{i:03d}@demo.edu" for i in range(1, 9)]
    assert len({row[2] for row in rows}) >= 4  # varied majors
    assert len({row[3] for row in rows}) == 8  # everyone describes how they learn
    assert {row[4] for row in rows} <= {1, 2, 3, 4, 5}
    assert rows[0][1] == demo_profile(1)["name"]
    assert await PasswordHasher(4).verify(DEMO_PASSWORD, rows[0][5])

    # More students later: only the new ones are added.
    third = seed_demo(config, users=10, groups=3)
    assert "added 2 users, 0 groups" in third
    assert counts(tmp_path / "app.db")["users"] == 10
