"""The .ics feed cannot be injected, even by text stored before the text rule existed
(issue 13, finding 6: a title "T\\r\\nBEGIN:VEVENT…" made the feed answer 500, and a bare CR
went out raw in X-WR-CALNAME)."""

from __future__ import annotations

from icalendar import Calendar
from sqlalchemy import update

from storage.tables import group_sessions, study_groups
from tests.api.test_group_sessions import crew, feed, schedule
from wiring.keys import ENGINE

INJECTION = "T\r\nBEGIN:VEVENT\r\nUID:evil\r\nSUMMARY:pwned\r\nEND:VEVENT\rX-EVIL:1\n;,\\"
BAD_CHARACTERS = "\x00\x1b\x7f\x85\u2028\u2029"


async def test_stored_bad_text_still_yields_a_valid_feed(client) -> None:
    gid, people = await crew(client)
    sessions = [await schedule(client, gid, people["a"], title=f"S{i}") for i in range(2)]
    async with client.server.app[ENGINE].begin() as db:  # rows from before the validator
        await db.execute(
            update(study_groups).where(study_groups.c.id == gid).values(title=INJECTION)
        )
        await db.execute(
            update(group_sessions)
            .where(group_sessions.c.id == sessions[0]["id"])
            .values(
                title=INJECTION,
                location="Room\r1" + BAD_CHARACTERS,
                description="line 1\r\nline 2\rline 3\nEND:VCALENDAR" + BAD_CHARACTERS,
            )
        )

    response = await feed(client, gid, headers=people["b"]["headers"])
    assert response.status == 200, await response.text()
    body = await response.read()

    # Every line ends in CRLF; no CR or LF appears anywhere else, and no control character.
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert b"\r" not in line and b"\n" not in line, line
        text = line.decode("utf-8")
        assert not any(ord(c) < 0x20 and c != "\t" or c in "\x7f\x85\u2028\u2029" for c in text)
    unfolded = body.replace(b"\r\n ", b"").decode().split("\r\n")
    names = [line.split(":", 1)[0].split(";", 1)[0] for line in unfolded if line]
    assert names.count("BEGIN") == 1 + len(sessions) and names.count("END") == 1 + len(sessions)
    assert "X-EVIL" not in names and names.count("UID") == len(sessions)

    calendar = Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    assert len(events) == len(sessions)
    assert sorted(str(e["UID"]) for e in events) == sorted(
        f"group-session-{s['id']}@studysync" for s in sessions
    )
    assert str(calendar["X-WR-CALNAME"]).startswith("T BEGIN:VEVENT UID:evil")
    (hit,) = [e for e in events if str(e["UID"]) == f"group-session-{sessions[0]['id']}@studysync"]
    assert "\n" not in str(hit["SUMMARY"]) and "pwned" in str(hit["SUMMARY"])
    assert str(hit["DESCRIPTION"]).startswith("line 1\nline 2\nline 3\nEND:VCALENDAR")
    assert str(hit["LOCATION"]).strip() == "Room 1"  # line breaks became spaces
