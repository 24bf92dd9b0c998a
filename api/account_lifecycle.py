"""Account lifecycle routes: email verification, password reset and change, refresh tokens,
account deletion and export (api.md "Email and verified .edu ownership", "Refresh tokens",
"Account lifecycle and privacy")."""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints

from api.accounts import Email, PrivateUserJson, signed_in_json, tokens_json, user_json
from api.addresses import client_address
from api.routing import Routes, current_user, ok
from api.schemas import CamelIn, GivenPassword, MessageOut, Password, Success
from domain.account_records import SignedIn
from domain.errors import DomainError
from wiring.keys import ACCOUNTS, DELETION, USERS

routes = Routes("accounts")

# Tokens are URL-safe base64 (secrets.token_urlsafe); anything else cannot be one.
Token = Annotated[
    str, StringConstraints(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
]


class TokenIn(CamelIn):
    token: Token


class ForgotIn(CamelIn):
    email: Email


class ResetIn(CamelIn):
    token: Token
    password: Password


class ChangePasswordIn(CamelIn):
    current_password: GivenPassword
    new_password: Password


class RefreshIn(CamelIn):
    refresh_token: Token


class DeleteIn(CamelIn):
    password: GivenPassword
    purge_messages: StrictBool = False


class VerifyQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str = ""


class UserOnlyOut(Success):
    user: PrivateUserJson


class ResendOut(MessageOut):
    sent: bool


class TokensOut(Success):
    token: str
    refresh_token: str


class SignedInAgainOut(TokensOut):
    user: PrivateUserJson


class ExportOut(Success):
    export: dict[str, Any]


@routes.post(
    "/api/auth/verify-email",
    response=UserOnlyOut,
    auth=False,
    errors=(422,),
    summary="Verify the email address with the token from the mail",
)
async def verify_email(request: web.Request, body: TokenIn) -> web.Response:
    user = await request.app[ACCOUNTS].verify_email(body.token)
    return ok(user=user_json(user, private=True))


@routes.get(
    "/verify-email",
    auth=False,
    media_type="text/html",
    summary="The mail's verification link: verifies and says so (a small HTML page)",
)
async def verify_email_page(request: web.Request, query: VerifyQuery) -> web.Response:
    try:
        TokenIn(token=query.token)
        user = await request.app[ACCOUNTS].verify_email(query.token)
    except (DomainError, ValueError):
        return _page(
            400,
            "This link does not work",
            "The verification link is invalid, was used already or has expired. Sign in and "
            "ask for a new mail.",
        )
    return _page(200, "Email verified", f"Thank you: {user.email} is verified.")


@routes.post(
    "/api/auth/resend-verification",
    response=ResendOut,
    errors=(429,),
    summary="Send the verification mail again (3 per hour)",
)
async def resend_verification(request: web.Request) -> web.Response:
    sent = await request.app[ACCOUNTS].resend_verification(current_user(request))
    message = "Verification mail sent" if sent else "Your email address is already verified"
    return ok(message=message, sent=sent)


@routes.post(
    "/api/auth/password/forgot",
    response=Success,
    auth=False,
    status=202,
    errors=(429,),
    summary="Mail a password reset link (202 whatever the address)",
)
async def forgot_password(request: web.Request, body: ForgotIn) -> web.Response:
    await request.app[ACCOUNTS].forgot_password(body.email, client_address(request))
    return ok(202)


@routes.post(
    "/api/auth/password/reset",
    response=SignedInAgainOut,
    auth=False,
    errors=(422, 429, 503),
    summary="Set a new password with the reset token; every earlier token is revoked",
)
async def reset_password(request: web.Request, body: ResetIn) -> web.Response:
    return ok(**signed_in_json(await _reset(request, body)))


async def _reset(request: web.Request, body: ResetIn) -> SignedIn:
    """Both reset routes (JSON and the mail's form): one rate limit, one service call."""
    return await request.app[ACCOUNTS].reset_password(
        body.token, body.password, client_address(request)
    )


@routes.post(
    "/api/auth/password",
    response=TokensOut,
    errors=(401, 429, 503),
    summary="Change the password (the current one required); other tokens are revoked",
)
async def change_password(request: web.Request, body: ChangePasswordIn) -> web.Response:
    signed_in = await request.app[ACCOUNTS].change_password(
        current_user(request), body.current_password, body.new_password
    )
    return ok(**tokens_json(signed_in))


@routes.post(
    "/api/auth/refresh",
    response=TokensOut,
    auth=False,
    errors=(401,),
    summary="Spend a refresh token for a new access and refresh token (rotation)",
)
async def refresh(request: web.Request, body: RefreshIn) -> web.Response:
    signed_in = await request.app[USERS].refresh(body.refresh_token)
    return ok(**tokens_json(signed_in))


@routes.delete(
    "/api/auth/me",
    status=204,
    errors=(401, 429, 503),
    summary="Delete the account (password required); messages kept anonymous or purged",
)
async def delete_me(request: web.Request, body: DeleteIn) -> web.Response:
    await request.app[DELETION].delete(current_user(request), body.password, body.purge_messages)
    return web.Response(status=204)


@routes.get(
    "/api/auth/me/export",
    response=ExportOut,
    summary="Everything stored about the caller, as one JSON document",
)
async def export_me(request: web.Request) -> web.Response:
    user = current_user(request)
    sections = await request.app[DELETION].export(user.id)
    body = {"success": True, "export": {_camel(k): _camel_rows(v) for k, v in sections.items()}}
    return web.Response(
        body=orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="studysync-{user.id}.json"'},
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_rows(value: Any) -> Any:
    if isinstance(value, list):
        return [_camel_rows(item) for item in value]
    if isinstance(value, dict):
        return {_camel(str(key)): item for key, item in value.items()}
    return value


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title} · StudySync</title></head>
<body style="font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2433;margin:0;\
padding:48px 16px">
<main style="max-width:480px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
<h1 style="font-size:1.4rem">{title}</h1><p>{text}</p>{extra}<p><a href="/">Open StudySync</a></p>
</main></body></html>
"""


def _page(status: int, title: str, text: str, extra: str = "") -> web.Response:
    html = _PAGE.format(title=escape(title), text=escape(text), extra=extra)
    return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")


_RESET_FORM = """<form method="post" action="/reset-password">
<input type="hidden" name="token" value="{token}">
<label>New password <input type="password" name="password" minlength="8" maxlength="128"
required autocomplete="new-password"></label>
<button type="submit">Set password</button></form>"""


@routes.get(
    "/reset-password",
    auth=False,
    media_type="text/html",
    summary="The reset mail's link: a form for the new password",
)
async def reset_password_page(request: web.Request, query: VerifyQuery) -> web.Response:
    form = _RESET_FORM.format(token=escape(query.token, quote=True))
    return _page(200, "Choose a new password", "At least 8 characters.", extra=form)


@routes.post(
    "/reset-password",
    auth=False,
    media_type="text/html",
    summary="The reset form's target (form-encoded token and password)",
)
async def reset_password_form(request: web.Request) -> web.Response:
    try:
        form = await request.post()  # ValueError: a malformed form body (no boundary, …)
        token, password = form.get("token"), form.get("password")
        if not isinstance(token, str) or not isinstance(password, str):
            raise ValueError("token and password are required")
        await _reset(request, ResetIn(token=token, password=password))
    except (DomainError, ValueError):
        return _page(
            400,
            "The password was not changed",
            "The link is invalid, used or expired, or the password is shorter than 8 "
            "characters. Ask for a new link from the sign-in screen.",
        )
    return _page(200, "Password changed", "Sign in with your new password.")
