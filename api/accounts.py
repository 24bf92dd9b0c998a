"""Accounts: register, login, the caller's profile, and public user profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import available_timezones

from aiohttp import web
from pydantic import (
    AliasChoices,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from api.addresses import client_address
from api.routing import Routes, bearer_token, current_user, dump, ok
from api.schemas import (
    CamelIn,
    CamelOut,
    GivenPassword,
    Label,
    MessageOut,
    MultiLine,
    Password,
    SingleLine,
    Success,
)
from domain.account_records import SignedIn
from domain.models import PROFILE_FIELDS, User, check_schedule
from wiring.keys import USERS

routes = Routes("accounts")

_TIMEZONES = frozenset(available_timezones())
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
Email = Annotated[str, StringConstraints(min_length=3, max_length=254), SingleLine]


def _alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class GroupPreferences(CamelIn):
    group_size: StrictInt | None = Field(None, ge=2, le=50)
    session_duration: StrictInt | None = Field(None, ge=5, le=600)
    study_goals: list[Label] = Field(default_factory=list, max_length=20)


class ProfileFields(CamelIn):
    """Profile keys as the README writes them (camelCase) or as the mobile client sends them."""

    name: Name | None = None
    university: Annotated[str, StringConstraints(max_length=150), SingleLine] | None = None
    major: Annotated[str, StringConstraints(max_length=100), SingleLine] | None = None
    year: Annotated[str, StringConstraints(max_length=50), SingleLine] | None = None
    learning_style: Annotated[str, StringConstraints(max_length=2000), MultiLine] | None = _alias(
        "learningStyle", "learning_style"
    )
    subjects: list[Label] | None = Field(None, max_length=20)
    study_environments: list[Label] | None = _alias("studyEnvironments", "study_environments")
    study_methods: list[Label] | None = _alias("studyMethods", "study_methods")
    schedule: dict[str, list[Label]] | None = _alias("schedule", "availability")
    performance_level: StrictInt | None = Field(
        default=None,
        ge=1,
        le=5,
        validation_alias=AliasChoices("performanceLevel", "performance_level"),
    )
    group_preferences: GroupPreferences | None = _alias("groupPreferences", "group_preferences")
    preferred_group_size: StrictInt | None = Field(
        default=None,
        ge=2,
        le=50,
        validation_alias=AliasChoices("preferredGroupSize", "preferred_group_size"),
    )
    study_preferences: list[Label] | None = _alias("studyPreferences", "study_preferences")
    timezone: Annotated[str, StringConstraints(max_length=64), SingleLine] | None = None

    @field_validator("schedule")
    @classmethod
    def _known_days_and_slots(cls, value: dict[str, list[str]] | None) -> Any:
        if value is not None:
            check_schedule(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _iana_timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _TIMEZONES:
            raise ValueError("must be an IANA time zone name such as 'America/New_York'")
        return value

    def profile_changes(self) -> dict[str, Any]:
        """Only the keys the client sent, in storage's field names."""
        sent = self.model_fields_set
        changes: dict[str, Any] = {
            key: getattr(self, key)
            for key in PROFILE_FIELDS
            if key != "group_preferences" and key in sent and getattr(self, key) is not None
        }
        preferences = self._merged_preferences()
        if preferences is not None:
            changes["group_preferences"] = preferences
        return changes

    def _merged_preferences(self) -> dict[str, Any] | None:
        base = self.group_preferences
        if base is None and self.preferred_group_size is None and self.study_preferences is None:
            return None
        merged = base.model_dump(by_alias=True, exclude_none=True) if base else {}
        if self.preferred_group_size is not None:
            merged["groupSize"] = self.preferred_group_size
        if self.study_preferences is not None:
            merged["studyGoals"] = self.study_preferences
        return merged


class RegisterIn(ProfileFields):
    email: Email
    password: Password
    name: Name

    @model_validator(mode="after")
    def _password_not_blank(self) -> RegisterIn:
        if not self.password.strip():
            raise ValueError("password must not be blank")
        return self


class LoginIn(CamelIn):
    email: Annotated[str, StringConstraints(min_length=1, max_length=254), SingleLine]
    password: GivenPassword


class ProfilePatch(ProfileFields):
    pass


class UserOut(CamelOut):
    id: int
    name: str
    email: str | None
    university: str
    major: str
    year: str
    learning_style: str
    subjects: list[str]
    study_environments: list[str]
    study_methods: list[str]
    schedule: dict[str, list[str]]
    performance_level: int
    group_preferences: dict[str, Any]
    timezone: str
    created_at: datetime
    email_verified: bool


class PrivateUserOut(UserOut):
    calendar_token: str
    total_minutes: int


class MobileUserKeys(CamelOut):
    """The snake_case copies the StudySync mobile client reads (see user_json)."""

    learning_style_: str = Field(alias="learning_style")
    performance_level_: int = Field(alias="performance_level")
    group_preferences_: dict[str, Any] = Field(alias="group_preferences")
    study_preferences: list[str]


class UserJson(UserOut, MobileUserKeys):
    """A user as user_json serves them to others (email is null)."""


class PrivateUserJson(PrivateUserOut, MobileUserKeys):
    """A user as user_json serves them to themselves."""


class MeOut(Success):
    user: PrivateUserJson


class SignedInOut(MessageOut):
    token: str
    refresh_token: str
    user: PrivateUserJson


class CalendarTokenOut(Success):
    calendar_token: str


def user_json(user: User, *, private: bool) -> dict[str, Any]:
    """camelCase profile plus the snake_case keys the StudySync mobile client reads."""
    model = PrivateUserOut if private else UserOut
    body = dump(model.model_validate(user, from_attributes=True))
    if not private:
        body["email"] = None
    body.update(
        learning_style=user.learning_style,
        performance_level=user.performance_level,
        group_preferences=user.group_preferences,
        studyPreferences=user.group_preferences.get("studyGoals", []),
    )
    return body


def tokens_json(signed_in: SignedIn) -> dict[str, Any]:
    """The access and refresh token pair every sign-in, refresh and password change answers."""
    return {"token": signed_in.token, "refreshToken": signed_in.refresh_token}


def signed_in_json(signed_in: SignedIn) -> dict[str, Any]:
    return tokens_json(signed_in) | {"user": user_json(signed_in.user, private=True)}


async def create_account(request: web.Request, body: RegisterIn) -> SignedIn:
    """The new user and their tokens (both register routes); the verification mail follows."""
    profile = body.profile_changes()
    profile["email"] = body.email
    return await request.app[USERS].register(profile, body.password)


@routes.post(
    "/api/auth/register",
    response=SignedInOut,
    errors=(409, 429, 503),
    auth=False,
    status=201,
    summary="Create an account",
)
async def register(request: web.Request, body: RegisterIn) -> web.Response:
    signed_in = await create_account(request, body)
    return ok(201, message="Registration successful", **signed_in_json(signed_in))


@routes.post(
    "/api/auth/login",
    response=SignedInOut,
    errors=(401, 429, 503),
    auth=False,
    summary="Exchange credentials for a token",
)
async def login(request: web.Request, body: LoginIn) -> web.Response:
    address = client_address(request)
    signed_in = await request.app[USERS].login(body.email, body.password, address)
    return ok(message="Login successful", **signed_in_json(signed_in))


@routes.get("/api/auth/me", response=MeOut, summary="The caller's profile")
@routes.get("/api/auth/profile", response=MeOut, summary="Alias of /api/auth/me")
async def me(request: web.Request) -> web.Response:
    return ok(user=user_json(current_user(request), private=True))


@routes.patch("/api/auth/me", response=MeOut, summary="Update the caller's profile")
@routes.patch("/api/auth/profile", response=MeOut, summary="Alias of PATCH /api/auth/me")
async def update_me(request: web.Request, body: ProfilePatch) -> web.Response:
    user = await request.app[USERS].update_profile(current_user(request).id, body.profile_changes())
    return ok(user=user_json(user, private=True))


@routes.post(
    "/api/auth/calendar-token",
    response=CalendarTokenOut,
    summary="Revoke and reissue the calendar feed token",
)
async def rotate_calendar_token(request: web.Request) -> web.Response:
    user = await request.app[USERS].rotate_calendar_token(current_user(request).id)
    return ok(calendarToken=user.calendar_token)


@routes.post(
    "/api/auth/logout", response=MessageOut, summary="Invalidate the token this request carries"
)
async def logout(request: web.Request) -> web.Response:
    await request.app[USERS].logout(bearer_token(request))
    return ok(message="Logged out")


@routes.post(
    "/api/auth/logout-all",
    response=MessageOut,
    summary="Invalidate every token issued to the caller",
)
async def logout_everywhere(request: web.Request) -> web.Response:
    await request.app[USERS].logout_everywhere(current_user(request).id)
    return ok(message="Logged out everywhere")
