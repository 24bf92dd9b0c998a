"""The socket wire table (realtime/wire.py): every domain event is either sent to clients or
listed as internal, every row's payload has its documented keys, and docs/architecture.md shows
the table as it is."""

from __future__ import annotations

import dataclasses
import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

import domain.events as events
from domain.chat import Message, Reaction
from domain.group_sessions import GroupSession
from domain.groups import Member
from domain.notifications import Notification
from domain.progress_records import Constellation, Person, Post, PostView
from realtime.wire import INTERNAL, WIRE, emits, event_table

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
MESSAGE = Message(7, 3, 5, "Ada", "hi", "text", None, "c1", NOW, None, (Reaction("👍", 1, (5,)),))
MEMBER = Member(5, "Ada", "Maths", "member", "active", NOW)
SESSION = GroupSession(9, 3, "Revise", "", "Library", NOW, 60, "scheduled", 5, "Ada", NOW, NOW)
POST = PostView(
    Post(4, 5, 2, "completion", "done", 30, NOW), Person(5, "Ada"), Constellation(2, "Lyra", 3, 5)
)
SAMPLES: dict[type, object] = {
    events.MessagePosted: events.MessagePosted(MESSAGE),
    events.MessageEdited: events.MessageEdited(MESSAGE),
    events.MessageDeleted: events.MessageDeleted(3, 7),
    events.ReactionsChanged: events.ReactionsChanged(3, 7, MESSAGE.reactions),
    events.MemberJoined: events.MemberJoined(3, MEMBER),
    events.MemberLeft: events.MemberLeft(3, 5),
    events.MemberRequested: events.MemberRequested(3, 1, MEMBER),
    events.SessionAnnounced: events.SessionAnnounced(SESSION),
    events.PostCreated: events.PostCreated(POST, (3, 4)),
    events.MessagePinned: events.MessagePinned(3, 7, True),
    events.NotificationCreated: events.NotificationCreated(
        Notification(11, 5, "mention", "Ada mentioned you", "hi", {"groupId": 3}, False, NOW)
    ),
}


def _event_types() -> set[type]:
    return {
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if cls.__module__ == events.__name__ and dataclasses.is_dataclass(cls)
    }


def test_every_domain_event_is_on_the_wire_or_listed_as_internal() -> None:
    missing = {t.__name__ for t in _event_types() - set(WIRE) - INTERNAL}
    assert missing == set(), f"add a row to realtime/wire.py WIRE (or to INTERNAL): {missing}"
    assert set(WIRE).isdisjoint(INTERNAL)
    assert set(SAMPLES) == set(WIRE)  # a new row needs a sample here


def test_each_row_emits_its_documented_keys_to_its_rooms() -> None:
    for event_type, row in WIRE.items():
        out = emits(SAMPLES[event_type])
        assert out, event_type
        documented = re.findall(r"\w+", row.shape)
        for emit in out:
            assert emit.event == row.event
            assert list(emit.payload) == documented, event_type.__name__
            assert re.fullmatch(r"(group|user):\d+", emit.room)


def test_rooms_and_payloads_are_those_clients_expect() -> None:
    assert [e.room for e in emits(SAMPLES[events.PostCreated])] == ["group:3", "group:4"]
    assert emits(SAMPLES[events.MemberRequested])[0].room == "user:1"
    (announced,) = emits(SAMPLES[events.SessionAnnounced])
    assert announced.room == "group:3" and announced.payload["session"]["myRsvp"] is None
    (reaction,) = emits(SAMPLES[events.ReactionsChanged])
    assert reaction.payload["reactions"] == [{"emoji": "👍", "count": 1, "userIds": [5]}]
    assert emits(events.TokensRevoked(5)) == []


def test_architecture_doc_shows_the_wire_table() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert "\n".join(event_table()) in doc, "paste realtime.wire.event_table() into the doc"
