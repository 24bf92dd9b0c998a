"""One text rule on every field (issue 13, findings 6 and 17): no control characters, line
breaks only where a field is multi-line, no text made only of invisible characters."""

from __future__ import annotations

import importlib
import inspect
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError

from tests.api.test_chat import room, send
from tests.api.test_groups import create_group
from tests.helpers import expect_error, register

INPUT_MODULES = [
    "api.accounts",
    "api.chat",
    "api.groups",
    "api.group_sessions",
    "api.matching",
    "api.notifications",
    "api.progress",
    "api.users",
    "realtime.payloads",
]
MULTI_LINE_FIELDS = {"content", "description", "learning_style", "message"}
EXEMPT_FIELDS = {"password"}  # used exactly as typed (api.md)
REFUSED_EVERYWHERE = [
    "a\rb",
    "a\x00b",
    "a\x7fb",
    "a\x85b",
    "a\u2028b",
    "a\u2029b",
    "\u200b",
    "\ufeff\u2060",
]
REFUSED_ON_ONE_LINE = ["a\nb", "a\tb"]


def _input_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in INPUT_MODULES:
        for model in vars(importlib.import_module(name)).values():
            if (
                inspect.isclass(model)
                and issubclass(model, BaseModel)
                and model.model_config.get("extra") == "forbid"
            ):
                found[f"{model.__module__}.{model.__qualname__}"] = model
    return list(found.values())


def _shaped(annotation: Any, text: str) -> Any:
    """A value of the field's shape with `text` in its string slot; None: not free text."""
    origin = get_origin(annotation)
    if annotation is str:
        return text
    if origin is Annotated:
        return _shaped(get_args(annotation)[0], text)
    if origin is Union or str(origin) == "<class 'types.UnionType'>":
        shaped = [_shaped(arg, text) for arg in get_args(annotation) if arg is not type(None)]
        return next((value for value in shaped if value is not None), None)
    if origin is list:
        inner = _shaped(get_args(annotation)[0], text)
        return None if inner is None else [inner]
    if origin is dict:
        inner = _shaped(get_args(annotation)[1], text)
        return None if inner is None else {"Monday": inner}
    if origin is Literal:
        return None
    return None


def _text_fields() -> list[tuple[type[BaseModel], str, Any]]:
    fields = []
    for model in _input_models():
        for name, info in model.model_fields.items():
            if name not in EXEMPT_FIELDS and _shaped(info.annotation, "x") is not None:
                fields.append((model, name, info))
    return fields


TEXT_FIELDS = _text_fields()


def _errors_for(model: type[BaseModel], name: str, info: Any, text: str) -> list[Any]:
    keys = {name, info.alias}
    if info.validation_alias is not None:
        keys |= set(getattr(info.validation_alias, "choices", [info.validation_alias]))
    try:  # by field name: every input model also accepts it (populate_by_name or no alias)
        model.model_validate({name: _shaped(info.annotation, text)})
    except ValidationError as error:
        return [e for e in error.errors() if e["loc"] and e["loc"][0] in keys]
    return []


def test_every_text_field_of_every_input_model_is_found() -> None:
    names = {f"{model.__name__}.{name}" for model, name, _ in TEXT_FIELDS}
    for expected in (
        "GroupIn.title", "SessionIn.title", "SessionIn.description", "SendIn.content",
        "SendPayload.content", "SendPayload.image_url", "ReactPayload.emoji", "ProfilePatch.name",
        "ProfilePatch.subjects", "ProfilePatch.schedule", "ConstellationIn.name", "SearchIn.query",
        "RegisterIn.email", "LoginIn.email", "FeedQuery.token", "GroupPreferences.study_goals",
    ):  # fmt: skip
        assert expected in names


@pytest.mark.parametrize(
    ("model", "name", "info"), TEXT_FIELDS, ids=[f"{m.__name__}.{n}" for m, n, _ in TEXT_FIELDS]
)
def test_every_text_field_refuses_control_and_invisible_text(model, name, info) -> None:
    for bad in REFUSED_EVERYWHERE:
        assert _errors_for(model, name, info, bad), (model.__name__, name, bad)
    for line_break in REFUSED_ON_ONE_LINE:
        refused = bool(_errors_for(model, name, info, f"x{line_break}y"))
        assert refused is (name not in MULTI_LINE_FIELDS), (model.__name__, name, line_break)


async def test_calendar_injection_title_is_refused_naming_the_field(client) -> None:
    leader = await register(client)
    injected = "T\r\nBEGIN:VEVENT\r\nSUMMARY:pwned\r\nEND:VEVENT"
    for body, field in (
        ({"title": injected, "subject": "Maths"}, "title"),
        ({"title": "T\rX", "subject": "Maths"}, "title"),
        ({"title": "Fine", "subject": "\u200b\u200d"}, "subject"),
        ({"title": "Fine", "subject": "Maths", "location": "Room\n1"}, "location"),
    ):
        response = await client.post("/api/groups/create", json=body, headers=leader["headers"])
        error = await expect_error(response, 422, "invalid_input")
        assert field in error["error"]["details"], error
    group = await create_group(client, leader, description="Line one\nline two\tindented")
    assert group["description"] == "Line one\nline two\tindented"
    url = f"/api/groups/{group['id']}/sessions"
    response = await client.post(
        url,
        json={
            "title": injected,
            "scheduledTime": "2031-01-01T10:00:00Z",
            "durationMinutes": 60,
        },
        headers=leader["headers"],
    )
    assert "title" in (await expect_error(response, 422, "invalid_input"))["error"]["details"]


async def test_profile_and_email_refuse_control_and_invisible_characters(client) -> None:
    for email in ("stu\x00dent@uni.edu", "stu\u200bdent@uni.edu", "student\r@uni.edu"):
        response = await client.post(
            "/api/auth/register",
            json={"email": email, "password": "correct horse battery", "name": "Ann"},
        )
        error = await expect_error(response, 422, "invalid_input")
        assert "email" in error["error"]["details"], error
    account = await register(client)
    for body, field in (
        ({"name": "\u200b"}, "name"),
        ({"name": "Ann\u2028Lee"}, "name"),
        ({"subjects": ["Maths\x00"]}, "subjects.0"),
    ):
        response = await client.patch("/api/auth/me", json=body, headers=account["headers"])
        error = await expect_error(response, 422, "invalid_input")
        assert field in error["error"]["details"], error


@pytest.mark.parametrize(
    "content", ["\u200b", "\u200b\u200c\u200d", " \ufeff ", "\u2060", "\u3164"]
)
async def test_a_message_of_invisible_characters_is_blank(client, content) -> None:
    gid, leader, _, _ = await room(client)
    response = await client.post(
        f"/api/chat/{gid}/send", json={"content": content}, headers=leader["headers"]
    )
    error = await expect_error(response, 422, "invalid_input")
    assert "content" in error["error"]["details"]


async def test_messages_keep_newlines_and_refuse_other_control_characters(client) -> None:
    gid, leader, _, _ = await room(client)
    assert (await send(client, gid, leader, "line 1\nline 2\tx"))["content"] == "line 1\nline 2\tx"
    for bad in ("a\rb", "a\x00b", "a\u2028b", "a\x1bb"):
        response = await client.post(
            f"/api/chat/{gid}/send", json={"content": bad}, headers=leader["headers"]
        )
        await expect_error(response, 422, "invalid_input")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"content": "hi", "imageUrl": "javascript:alert(1)"}, 422),
        ({"content": "hi", "imageUrl": "https://cdn.example.edu/a.png"}, 422),
        ({"content": "hi", "messageType": "announcement", "imageUrl": "https://x.edu/a.png"}, 422),
        ({"content": "", "messageType": "image", "imageUrl": "https:///nohost.png"}, 422),
        ({"content": "", "messageType": "image", "imageUrl": "http://"}, 422),
        ({"content": "", "messageType": "image", "imageUrl": "https://x.edu/a b.png"}, 422),
        ({"content": "", "messageType": "image", "imageUrl": "https://x.edu/\u200b.png"}, 422),
        ({"content": "", "messageType": "image", "imageUrl": "https://[bad/a.png"}, 422),
        ({"content": "", "messageType": "image", "imageUrl": "HTTPS://X.EDU/a.png"}, 201),
        ({"content": "", "messageType": "image", "imageUrl": "http://x.edu:8080/a?b=c"}, 201),
    ],
)
async def test_image_url_only_on_image_messages_and_only_http(client, body, status) -> None:
    gid, leader, _, _ = await room(client)
    response = await client.post(f"/api/chat/{gid}/send", json=body, headers=leader["headers"])
    if status == 201:
        assert response.status == 201, await response.text()
        return
    error = await expect_error(response, 422, "invalid_input")
    assert "imageUrl" in error["error"]["details"], error
    history = await (
        await client.get(f"/api/chat/{gid}/messages", headers=leader["headers"])
    ).json()
    assert history["messages"] == []


@pytest.mark.parametrize(
    ("emoji", "accepted"),
    [
        ("1️⃣", True),  # keycap
        ("👨‍👩‍👧‍👦", True),  # family (ZWJ sequence, 25 bytes)
        ("🏴󠁧󠁢󠁥󠁮󠁧󠁿", True),  # England (tag sequence, 28 bytes)
        ("👨🏿‍❤️‍💋‍👨🏿", True),  # the longest emoji today: 35 bytes
        ("😀", True),
        ("😀\u200b", False),  # format character after the emoji
        ("\u200b😀", False),
        ("😀\ufe0f\ufe0f", False),
        ("©", True),
        ("a", False),
    ],
)
async def test_emoji_are_what_unicode_says(client, emoji, accepted) -> None:
    gid, leader, _, _ = await room(client)
    message = await send(client, gid, leader)
    response = await client.post(
        f"/api/chat/message/{message['id']}/react", json={"emoji": emoji}, headers=leader["headers"]
    )
    if accepted:
        assert response.status == 200, await response.text()
        assert [r["emoji"] for r in (await response.json())["reactions"]] == [emoji]
    else:
        error = await expect_error(response, 422, "invalid_input")
        assert "emoji" in error["error"]["details"]
