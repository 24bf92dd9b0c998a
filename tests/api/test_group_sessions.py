"""Group study sessions and the iCalendar feed over REST, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from domain.events import SessionAnnounced
from realtime.wire import Emit, emits
from tests.api.test_groups import create_group
from tests.helpers import expect_error, register
from wiring.keys import PUBLISHER

HOUR = timedelta(hours=1)


class Clock:
    """The service's clock, moved by the test (passed as the app override "clock")."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def at(moment: datetime, offset_hours: int = 0) -> str:
    """ISO-8601 with an explicit offset (not UTC unless offset_hours == 0)."""
    return moment.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def soon(hours: float = 24) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)


def session_body(**fields):
    return {
        "title": "Midterm review",
        "scheduledTime": at(soon(), 2),
        "durationMinutes": 90,
        "location": "Library room 4",
        "description": "Chapters 1-5",
    } | fields


async def crew(client):
    """leader, two active members, one pending member, one outsider; returns (gid, people)."""
    leader, a, b, pending, outsider = [await register(client) for _ in range(5)]
    gid = (await create_group(client, leader, joinPolicy="approval"))["id"]
    for person in (a, b, pending):
        await client.post(f"/api/groups/{gid}/join", headers=person["headers"])
    for person in (a, b):
        url = f"/api/groups/{gid}/requests/{person['user']['id']}/approve"
        assert (await client.post(url, headers=leader["headers"])).status == 200
    people = {"leader": leader, "a": a, "b": b, "pending": pending, "outsider": outsider}
    return gid, people


async def schedule(client, gid, account, **fields):
    response = await client.post(
        f"/api/groups/{gid}/sessions", json=session_body(**fields), headers=account["headers"]
    )
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["success"] is True
    return body["session"]


async def listing(client, gid, account, query=""):
    response = await client.get(f"/api/groups/{gid}/sessions{query}", headers=account["headers"])
    assert response.status == 200, await response.text()
    return await response.json()


async def notes(client, account):
    body = await (await client.get("/api/notifications", headers=account["headers"])).json()
    return [n for n in body["notifications"] if n["type"] == "session_announced"]


def collect(client) -> list[Emit]:
    seen: list[Emit] = []

    async def collector(event: SessionAnnounced) -> None:  # what the socket publisher emits
        seen.extend(out for out in emits(event) if out.event == "session:announced")

    client.server.app[PUBLISHER].subscribe(SessionAnnounced, collector)
    return seen


async def feed(client, gid, *, headers=None, token=None):
    query = f"?token={token}" if token is not None else ""
    return await client.get(f"/api/groups/{gid}/sessions.ics{query}", headers=headers or {})


async def parsed_feed(response):
    assert response.status == 200, await response.text()
    assert response.content_type == "text/calendar" and response.charset == "utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    calendar = Calendar.from_ical(await response.read())
    return calendar, {str(e["UID"]): e for e in calendar.walk("VEVENT")}


# ---------------------------------------------------------------- scheduling and listing


async def test_schedule_stores_utc_and_lists_with_the_documented_shape(client) -> None:
    gid, p = await crew(client)
    start = soon(48)
    session = await schedule(client, gid, p["a"], scheduledTime=at(start, -5), location="Lab")
    assert isinstance(session["id"], int) and session["groupId"] == gid
    assert session["scheduledTime"] == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert session["endTime"] == (start + 90 * timedelta(minutes=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert session["durationMinutes"] == 90 and session["status"] == "scheduled"
    assert session["createdBy"] == {"id": p["a"]["user"]["id"], "name": p["a"]["user"]["name"]}
    assert session["attendees"] == {"going": 0, "maybe": 0, "notGoing": 0}
    assert session["myRsvp"] is None and session["location"] == "Lab"
    assert session["description"] == "Chapters 1-5"
    assert session["createdAt"].endswith("Z") and session["updatedAt"] == session["createdAt"]
    body = await listing(client, gid, p["leader"])
    assert body["sessions"] == [session] and body["hasMore"] is False
    assert set(session) == {
        "id",
        "groupId",
        "title",
        "description",
        "location",
        "scheduledTime",
        "durationMinutes",
        "endTime",
        "status",
        "createdBy",
        "attendees",
        "myRsvp",
        "createdAt",
        "updatedAt",
    }


async def test_location_defaults_to_tbd_and_description_to_empty(client) -> None:
    gid, p = await crew(client)
    body = session_body()
    del body["location"], body["description"]
    response = await client.post(
        f"/api/groups/{gid}/sessions", json=body, headers=p["leader"]["headers"]
    )
    assert response.status == 201
    session = (await response.json())["session"]
    assert (session["location"], session["description"]) == ("TBD", "")


async def test_only_active_members_schedule_or_list(client) -> None:
    gid, p = await crew(client)
    url = f"/api/groups/{gid}/sessions"
    for who in ("pending", "outsider"):
        h = p[who]["headers"]
        await expect_error(await client.post(url, json=session_body(), headers=h), 403, "forbidden")
        await expect_error(await client.get(url, headers=h), 403, "forbidden")
    await expect_error(await client.post(url, json=session_body()), 401, "unauthorized")
    await expect_error(await client.get(url), 401, "unauthorized")
    missing = "/api/groups/999999/sessions"
    h = p["leader"]["headers"]
    await expect_error(await client.post(missing, json=session_body(), headers=h), 404)
    await expect_error(await client.get(missing, headers=h), 404, "not_found")
    await expect_error(await client.get("/api/groups/abc/sessions", headers=h), 422)
    assert (await listing(client, gid, p["leader"]))["sessions"] == []


@pytest.mark.parametrize(
    "fields",
    [
        {"scheduledTime": soon().replace(tzinfo=None).isoformat()},  # naive
        {"scheduledTime": soon().strftime("%Y-%m-%d")},
        {"scheduledTime": int(soon().timestamp())},
        {"scheduledTime": "next tuesday"},
        {"scheduledTime": None},
        {"scheduledTime": at(datetime.now(UTC) - HOUR)},  # in the past
        {"scheduledTime": at(datetime.now(UTC) + timedelta(days=3 * 365))},
        {"scheduledTime": "0001-01-01T00:30:00+01:00"},
        {"scheduledTime": "9999-12-31T23:59:59-01:00"},
        {"scheduledTime": at(soon()).replace("+00:00", "+24:00")},
        {"durationMinutes": 0},
        {"durationMinutes": 1441},
        {"durationMinutes": -30},
        {"durationMinutes": "60"},
        {"durationMinutes": True},
        {"durationMinutes": 60.0},
        {"durationMinutes": 10**30},
        {"title": ""},
        {"title": "   "},
        {"title": "t" * 201},
        {"title": ["Midterm"]},
        {"title": "bad\x00byte"},
        {"title": "two\nlines"},
        {"location": ""},
        {"location": "l" * 201},
        {"location": None},
        {"description": "d" * 5001},
        {"description": 5},
        {"status": "cancelled"},
        {"groupId": 1},
    ],
)
async def test_schedule_rejects_bad_input_and_stores_nothing(client, fields) -> None:
    gid, p = await crew(client)
    response = await client.post(
        f"/api/groups/{gid}/sessions", json=session_body(**fields), headers=p["leader"]["headers"]
    )
    body = await expect_error(response, 422, "invalid_input")
    assert body["error"]["details"], body
    assert (await listing(client, gid, p["leader"]))["sessions"] == []


@pytest.mark.parametrize("drop", ["title", "scheduledTime", "durationMinutes"])
async def test_schedule_requires_fields(client, drop) -> None:
    gid, p = await crew(client)
    body = session_body()
    del body[drop]
    response = await client.post(
        f"/api/groups/{gid}/sessions", json=body, headers=p["leader"]["headers"]
    )
    details = (await expect_error(response, 422, "invalid_input"))["error"]["details"]
    assert drop in details


async def test_schedule_rejects_malformed_bodies(client) -> None:
    gid, p = await crew(client)
    url, h = f"/api/groups/{gid}/sessions", p["leader"]["headers"]
    headers = h | {"Content-Type": "application/json"}
    await expect_error(await client.post(url, data=b"{not json", headers=headers), 400)
    await expect_error(await client.post(url, data=b"[1, 2]", headers=headers), 400)
    await expect_error(await client.post(url, data=b"title=x", headers=h), 415)
    assert (await listing(client, gid, p["leader"]))["sessions"] == []


async def test_unicode_and_sql_looking_text_is_stored_verbatim(client) -> None:
    gid, p = await crew(client)
    title = "📚 Ünïcode 数学 review — ok"
    location = "Robert'); DROP TABLE group_sessions;--"
    description = "1' OR '1'='1\nline two\ttabbed; C:\\temp, commas"
    session = await schedule(
        client, gid, p["leader"], title=title, location=location, description=description
    )
    (listed,) = (await listing(client, gid, p["leader"]))["sessions"]
    assert (listed["title"], listed["location"], listed["description"]) == (
        title,
        location,
        description,
    )
    _, events = await parsed_feed(await feed(client, gid, headers=p["leader"]["headers"]))
    event = events[f"group-session-{session['id']}@studysync"]
    assert (str(event["SUMMARY"]), str(event["LOCATION"]), str(event["DESCRIPTION"])) == (
        title,
        location,
        description,
    )


async def test_when_filters_order_and_pagination(make_client) -> None:
    clock = Clock()
    client = await make_client(overrides={"clock": clock})
    gid, p = await crew(client)
    now = clock.now
    made = [
        await schedule(
            client,
            gid,
            p["leader"],
            title=f"s{i}",
            scheduledTime=at(now + (i + 1) * HOUR, 3),
            durationMinutes=30,
        )
        for i in (3, 0, 4, 1, 2)
    ]
    by_title = {s["title"]: s["id"] for s in made}
    # 2h15m later: s0 (1h–1h30) and s1 (2h–2h30, in progress) have started; s0 has ended.
    clock.now = now + timedelta(hours=2, minutes=15)
    titles = lambda body: [s["title"] for s in body["sessions"]]  # noqa: E731
    assert titles(await listing(client, gid, p["leader"])) == ["s0", "s1", "s2", "s3", "s4"]
    upcoming = await listing(client, gid, p["leader"], "?when=upcoming")
    assert titles(upcoming) == ["s1", "s2", "s3", "s4"]
    assert titles(await listing(client, gid, p["leader"], "?when=past")) == ["s0"]
    clock.now = now + timedelta(hours=10)
    past = await listing(client, gid, p["leader"], "?when=past&limit=2")
    assert titles(past) == ["s4", "s3"] and past["hasMore"] is True
    rest = await listing(client, gid, p["leader"], f"?when=past&limit=2&after={by_title['s3']}")
    assert titles(rest) == ["s2", "s1"] and rest["hasMore"] is True
    last = await listing(client, gid, p["leader"], f"?when=past&after={by_title['s1']}")
    assert titles(last) == ["s0"] and last["hasMore"] is False
    page = await listing(client, gid, p["leader"], f"?limit=3&after={by_title['s1']}")
    assert titles(page) == ["s2", "s3", "s4"] and page["hasMore"] is False
    assert (await listing(client, gid, p["leader"], "?when=upcoming"))["sessions"] == []


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=201",
        "?limit=abc",
        "?limit=-1",
        "?when=soon",
        "?after=0",
        "?after=999999",
        "?after=x",
        "?page=2",
        "?limit=99999999999999999999999",
    ],
)
async def test_list_rejects_bad_query(client, query) -> None:
    gid, p = await crew(client)
    await schedule(client, gid, p["leader"])
    response = await client.get(
        f"/api/groups/{gid}/sessions{query}", headers=p["leader"]["headers"]
    )
    await expect_error(response, 422, "invalid_input")


async def test_after_cursor_must_belong_to_the_group(client) -> None:
    gid, p = await crew(client)
    other = (await create_group(client, p["a"]))["id"]
    foreign = await schedule(client, other, p["a"])
    response = await client.get(
        f"/api/groups/{gid}/sessions?after={foreign['id']}", headers=p["a"]["headers"]
    )
    await expect_error(response, 422, "invalid_input")


# ---------------------------------------------------------------- change and cancel


async def test_creator_and_leader_change_others_may_not(client) -> None:
    gid, p = await crew(client)
    session = await schedule(client, gid, p["a"])
    url = f"/api/group-sessions/{session['id']}"
    new_start = soon(72)
    response = await client.patch(
        url, json={"title": "Renamed", "scheduledTime": at(new_start, 9)}, headers=p["a"]["headers"]
    )
    assert response.status == 200, await response.text()
    changed = (await response.json())["session"]
    assert changed["title"] == "Renamed" and changed["location"] == session["location"]
    assert changed["scheduledTime"] == new_start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert changed["updatedAt"] > session["updatedAt"]
    by_leader = await client.patch(
        url, json={"durationMinutes": 45, "description": ""}, headers=p["leader"]["headers"]
    )
    assert by_leader.status == 200
    assert (await by_leader.json())["session"]["durationMinutes"] == 45
    for who, status in (("b", 403), ("pending", 403), ("outsider", 403)):
        response = await client.patch(url, json={"title": "x"}, headers=p[who]["headers"])
        await expect_error(response, status, "forbidden")
        await expect_error(await client.delete(url, headers=p[who]["headers"]), 403, "forbidden")
    await expect_error(await client.patch(url, json={"title": "x"}), 401)
    await expect_error(await client.delete(url), 401)
    missing = "/api/group-sessions/999999"
    await expect_error(
        await client.patch(missing, json={"title": "x"}, headers=p["leader"]["headers"]),
        404,
        "not_found",
    )
    await expect_error(await client.delete(missing, headers=p["leader"]["headers"]), 404)
    (stored,) = (await listing(client, gid, p["b"]))["sessions"]
    assert (stored["title"], stored["durationMinutes"], stored["status"]) == (
        "Renamed",
        45,
        "scheduled",
    )


async def test_creator_who_left_can_no_longer_change(client) -> None:
    gid, p = await crew(client)
    session = await schedule(client, gid, p["a"])
    assert (await client.post(f"/api/groups/{gid}/leave", headers=p["a"]["headers"])).status == 200
    url = f"/api/group-sessions/{session['id']}"
    await expect_error(await client.patch(url, json={"title": "x"}, headers=p["a"]["headers"]), 403)
    assert (await client.delete(url, headers=p["leader"]["headers"])).status == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": None},
        {"title": ""},
        {"scheduledTime": soon().replace(tzinfo=None).isoformat()},
        {"scheduledTime": at(datetime.now(UTC) - 2 * HOUR)},
        {"durationMinutes": False},
        {"durationMinutes": 2000},
        {"status": "scheduled"},
        {"location": None},
        {"createdBy": 1},
    ],
)
async def test_change_rejects_bad_input(client, body) -> None:
    gid, p = await crew(client)
    session = await schedule(client, gid, p["leader"])
    response = await client.patch(
        f"/api/group-sessions/{session['id']}", json=body, headers=p["leader"]["headers"]
    )
    await expect_error(response, 422, "invalid_input")
    (stored,) = (await listing(client, gid, p["leader"]))["sessions"]
    assert stored == session


async def test_cancel_keeps_the_row_and_is_idempotent(client) -> None:
    gid, p = await crew(client)
    session = await schedule(client, gid, p["a"])
    url = f"/api/group-sessions/{session['id']}"
    response = await client.delete(url, headers=p["a"]["headers"])
    assert response.status == 200
    cancelled = (await response.json())["session"]
    assert cancelled["status"] == "cancelled" and cancelled["id"] == session["id"]
    again = await client.delete(url, headers=p["leader"]["headers"])
    assert again.status == 200 and (await again.json())["session"] == cancelled
    (listed,) = (await listing(client, gid, p["b"]))["sessions"]
    assert listed["status"] == "cancelled" and listed["title"] == session["title"]
    await expect_error(
        await client.patch(url, json={"title": "x"}, headers=p["a"]["headers"]), 409, "conflict"
    )
    await expect_error(
        await client.post(f"{url}/rsvp", json={"status": "going"}, headers=p["b"]["headers"]),
        409,
        "conflict",
    )


# ---------------------------------------------------------------- RSVP


async def test_rsvp_upserts_and_counts(client) -> None:
    gid, p = await crew(client)
    session = await schedule(client, gid, p["leader"])
    url = f"/api/group-sessions/{session['id']}/rsvp"

    async def answer(who, status):
        response = await client.post(url, json={"status": status}, headers=p[who]["headers"])
        assert response.status == 200, await response.text()
        return (await response.json())["session"]

    assert (await answer("leader", "going"))["myRsvp"] == "going"
    await answer("a", "maybe")
    after_b = await answer("b", "not_going")
    assert after_b["attendees"] == {"going": 1, "maybe": 1, "notGoing": 1}
    assert after_b["myRsvp"] == "not_going"
    changed = await answer("b", "going")  # same user again: updates, never a second row
    assert changed["attendees"] == {"going": 2, "maybe": 1, "notGoing": 0}
    (as_a,) = (await listing(client, gid, p["a"]))["sessions"]
    assert as_a["myRsvp"] == "maybe" and as_a["attendees"] == changed["attendees"]
    for who in ("pending", "outsider"):
        response = await client.post(url, json={"status": "going"}, headers=p[who]["headers"])
        await expect_error(response, 403, "forbidden")
    await expect_error(await client.post(url, json={"status": "going"}), 401)
    for bad in (
        {"status": "GOING"},
        {"status": "yes"},
        {"status": None},
        {},
        {"status": 1},
        {"status": "going", "userId": p["a"]["user"]["id"]},
    ):
        response = await client.post(url, json=bad, headers=p["a"]["headers"])
        await expect_error(response, 422, "invalid_input")
    await expect_error(
        await client.post(
            "/api/group-sessions/999999/rsvp", json={"status": "going"}, headers=p["a"]["headers"]
        ),
        404,
    )
    (final,) = (await listing(client, gid, p["a"]))["sessions"]
    assert final["attendees"] == {"going": 2, "maybe": 1, "notGoing": 0}
    assert final["myRsvp"] == "maybe"


async def test_concurrent_rsvps_by_one_user_keep_one_row(client) -> None:
    gid, p = await crew(client)
    session = await schedule(client, gid, p["leader"])
    url = f"/api/group-sessions/{session['id']}/rsvp"
    statuses = ["going", "maybe", "not_going"] * 4
    responses = await asyncio.gather(
        *(client.post(url, json={"status": s}, headers=p["a"]["headers"]) for s in statuses)
    )
    assert [r.status for r in responses] == [200] * len(statuses)
    (listed,) = (await listing(client, gid, p["a"]))["sessions"]
    assert sum(listed["attendees"].values()) == 1 and listed["myRsvp"] in statuses


async def test_rsvp_after_the_session_ended_is_refused(make_client) -> None:
    clock = Clock()
    client = await make_client(overrides={"clock": clock})
    gid, p = await crew(client)
    session = await schedule(
        client, gid, p["leader"], scheduledTime=at(clock.now + HOUR), durationMinutes=60
    )
    url = f"/api/group-sessions/{session['id']}/rsvp"
    clock.now += timedelta(minutes=90)  # in progress: still fine
    assert (
        await client.post(url, json={"status": "going"}, headers=p["a"]["headers"])
    ).status == 200
    clock.now += HOUR
    response = await client.post(url, json={"status": "maybe"}, headers=p["a"]["headers"])
    await expect_error(response, 409, "conflict")
    (listed,) = (await listing(client, gid, p["a"]))["sessions"]
    assert listed["myRsvp"] == "going"


# ---------------------------------------------------------------- iCalendar feed


async def test_ics_feed_fields_and_sequence(client) -> None:
    gid, p = await crew(client)
    first = await schedule(client, gid, p["a"], title="Lab prep", description="Bring, laptops; ok")
    second = await schedule(
        client,
        gid,
        p["leader"],
        title="Exam drill",
        scheduledTime=at(soon(30), -7),
        durationMinutes=120,
    )
    calendar, events = await parsed_feed(await feed(client, gid, headers=p["b"]["headers"]))
    assert str(calendar["VERSION"]) == "2.0" and "StudySync" in str(calendar["PRODID"])
    assert str(calendar["METHOD"]) == "PUBLISH"
    uid1, uid2 = (f"group-session-{s['id']}@studysync" for s in (first, second))
    assert set(events) == {uid1, uid2}
    event = events[uid2]
    start = datetime.fromisoformat(second["scheduledTime"])
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == start + 2 * HOUR
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert str(event["SUMMARY"]) == "Exam drill" and str(event["LOCATION"]) == "Library room 4"
    assert str(event["DESCRIPTION"]) == "Chapters 1-5" and str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    assert str(events[uid1]["DESCRIPTION"]) == "Bring, laptops; ok"

    url = f"/api/group-sessions/{first['id']}"
    assert (
        await client.patch(url, json={"location": "Room 9"}, headers=p["a"]["headers"])
    ).status == 200
    _, events = await parsed_feed(await feed(client, gid, headers=p["a"]["headers"]))
    changed = events[uid1]
    assert str(changed["LOCATION"]) == "Room 9" and int(changed["SEQUENCE"]) >= 1
    assert (await client.delete(url, headers=p["leader"]["headers"])).status == 200
    _, events = await parsed_feed(await feed(client, gid, headers=p["a"]["headers"]))
    assert str(events[uid1]["STATUS"]) == "CANCELLED"
    assert int(events[uid1]["SEQUENCE"]) > int(changed["SEQUENCE"])
    assert str(events[uid2]["STATUS"]) == "CONFIRMED" and int(events[uid2]["SEQUENCE"]) == 0


async def test_ics_feed_by_calendar_token_and_rotation(client) -> None:
    gid, p = await crew(client)
    await schedule(client, gid, p["leader"])
    me = await (await client.get("/api/auth/me", headers=p["a"]["headers"])).json()
    token = me["user"]["calendarToken"]
    assert isinstance(token, str) and len(token) >= 24
    _, events = await parsed_feed(await feed(client, gid, token=token))
    assert len(events) == 1

    rotated = await client.post("/api/auth/calendar-token", headers=p["a"]["headers"])
    assert rotated.status == 200
    new_token = (await rotated.json())["calendarToken"]
    assert new_token != token
    await expect_error(await feed(client, gid, token=token), 401, "unauthorized")
    await parsed_feed(await feed(client, gid, token=new_token))
    me = await (await client.get("/api/auth/me", headers=p["a"]["headers"])).json()
    assert me["user"]["calendarToken"] == new_token

    for who in ("pending", "outsider"):
        other = await (await client.get("/api/auth/me", headers=p[who]["headers"])).json()
        response = await feed(client, gid, token=other["user"]["calendarToken"])
        await expect_error(response, 403, "forbidden")
        await expect_error(await feed(client, gid, headers=p[who]["headers"]), 403, "forbidden")
    await expect_error(await feed(client, gid), 401, "unauthorized")
    await expect_error(await feed(client, gid, token="not-a-real-token"), 401, "unauthorized")
    await expect_error(await feed(client, gid, token="x" * 1025), 422, "invalid_input")
    await expect_error(await feed(client, gid, token="' OR '1'='1"), 401, "unauthorized")
    await expect_error(await feed(client, 999999, token=new_token), 404, "not_found")
    # A JWT is not a calendar token, and a calendar token is not a JWT.
    await expect_error(await feed(client, gid, token=p["a"]["token"]), 401)
    bad_header = {"Authorization": f"Bearer {new_token}"}
    await expect_error(await feed(client, gid, headers=bad_header), 401)
    extra = await client.get(f"/api/groups/{gid}/sessions.ics?token={new_token}&x=1")
    await expect_error(extra, 422, "invalid_input")


# ---------------------------------------------------------------- announcements


async def test_announcements_are_published_and_members_notified(client) -> None:
    gid, p = await crew(client)
    seen = collect(client)
    session = await schedule(client, gid, p["a"], title="Flashcards")
    (event,) = seen
    assert event.room == f"group:{gid}"
    assert event.payload == {"session": session | {"myRsvp": None}}

    for who in ("leader", "b"):
        (note,) = await notes(client, p[who])
        assert note["data"]["sessionId"] == session["id"] and note["data"]["groupId"] == gid
        assert note["data"]["action"] == "scheduled" and "Flashcards" in note["message"]
    for who in ("a", "pending", "outsider"):
        assert await notes(client, p[who]) == []

    url = f"/api/group-sessions/{session['id']}"
    await client.post(f"{url}/rsvp", json={"status": "going"}, headers=p["b"]["headers"])
    assert len(seen) == 1  # RSVPs are not announcements
    await client.patch(url, json={"title": "Flashcards II"}, headers=p["leader"]["headers"])
    assert seen[-1].payload["session"]["title"] == "Flashcards II"
    assert seen[-1].payload["session"]["attendees"]["going"] == 1
    await client.delete(url, headers=p["a"]["headers"])
    await client.delete(url, headers=p["a"]["headers"])  # already cancelled: no new announcement
    assert [e.payload["session"]["status"] for e in seen] == ["scheduled", "scheduled", "cancelled"]

    assert [n["data"]["action"] for n in await notes(client, p["a"])] == ["changed"]
    assert [n["data"]["action"] for n in await notes(client, p["leader"])] == [
        "cancelled",
        "scheduled",
    ]
    assert len(await notes(client, p["b"])) == 3
    assert await notes(client, p["pending"]) == []

    failed = await client.post(
        f"/api/groups/{gid}/sessions", json=session_body(title=""), headers=p["a"]["headers"]
    )
    assert failed.status == 422
    await client.patch(url, json={"title": "nope"}, headers=p["b"]["headers"])  # 403
    assert len(seen) == 3 and len(await notes(client, p["b"])) == 3


async def test_connected_members_receive_session_announced(client) -> None:
    from tests.realtime.conftest import ChatSocket, base_url

    gid, p = await crew(client)
    member, pending = ChatSocket(), ChatSocket()
    try:
        await member.connect(base_url(client), p["b"]["token"])
        await pending.connect(base_url(client), p["pending"]["token"])
        session = await schedule(client, gid, p["a"])
        assert await member.next("session:announced") == {"session": session | {"myRsvp": None}}
        await client.delete(f"/api/group-sessions/{session['id']}", headers=p["a"]["headers"])
        cancelled = await member.next("session:announced")
        assert cancelled["session"]["status"] == "cancelled"
        await pending.quiet("session:announced")
    finally:
        await member.close()
        await pending.close()


async def test_listing_costs_the_same_number_of_queries_for_any_page_size(client) -> None:
    from sqlalchemy import event

    from wiring.keys import ENGINE

    gid, p = await crew(client)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = client.server.app[ENGINE].sync_engine

    async def queries_for_listing(extra_sessions: int) -> int:
        for _ in range(extra_sessions):
            session = await schedule(client, gid, p["leader"])
            for who in ("a", "b"):
                await client.post(
                    f"/api/group-sessions/{session['id']}/rsvp",
                    json={"status": "maybe"},
                    headers=p[who]["headers"],
                )
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            body = await listing(client, gid, p["a"])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert all(s["attendees"]["maybe"] == 2 for s in body["sessions"])
        return len(statements)

    few = await queries_for_listing(2)
    many = await queries_for_listing(8)
    assert few == many <= 8, (few, many)
