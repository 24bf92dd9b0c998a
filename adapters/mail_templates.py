"""The mails StudySync sends: verification, password reset and a generic notice.

One plain-text and one HTML template, shared by every mail. The HTML has inline styles only (no
external images, fonts or stylesheets: nothing to load, nothing that tracks). Every value that
reaches the HTML is escaped; the token travels both in a link and as a `Code:` line, so a user
whose mail client breaks links can still paste the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from string import Template
from urllib.parse import quote

from adapters.mail import OutgoingMail

TEXT_TEMPLATE = Template(
    """$greeting

$body

$action_label:
$link

Code: $token

$footer

StudySync
"""
)

HTML_TEMPLATE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>$subject</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,sans-serif;\
color:#1d2433">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
<p>$greeting</p>
<p>$body</p>
<p><a href="$link" style="display:inline-block;padding:10px 18px;background:#3557d4;color:#ffffff;\
text-decoration:none;border-radius:6px">$action_label</a></p>
<p style="font-size:14px">Code: <code style="font-size:16px">$token</code></p>
<p style="font-size:13px;color:#5b6475">$footer</p>
<p style="font-size:13px;color:#5b6475">StudySync</p>
</div>
</body>
</html>
"""
)


@dataclass(frozen=True)
class MailContent:
    subject: str
    greeting: str
    body: str
    action_label: str
    footer: str


def render(to: str, content: MailContent, *, link: str, token: str) -> OutgoingMail:
    """Fill both templates; plain values in the text part, escaped values in the HTML part."""
    values = {
        "subject": content.subject,
        "greeting": content.greeting,
        "body": content.body,
        "action_label": content.action_label,
        "footer": content.footer,
        "link": link,
        "token": token,
    }
    html_values = {key: escape(value, quote=True) for key, value in values.items()}
    return OutgoingMail(
        to=to,
        subject=content.subject,
        text=TEXT_TEMPLATE.substitute(values),
        html=HTML_TEMPLATE.substitute(html_values),
    )


def token_link(public_url: str, path: str, token: str) -> str:
    """`<public_url>/<path>?token=<token>`; the token is URL-safe already, quoted regardless."""
    return f"{public_url.rstrip('/')}/{path.lstrip('/')}?token={quote(token, safe='')}"


def _greeting(name: str | None) -> str:
    return f"Hello {name}," if name else "Hello,"


def verification_mail(
    to: str, token: str, *, public_url: str, name: str | None = None, hours: int = 48
) -> OutgoingMail:
    content = MailContent(
        subject="Verify your StudySync email address",
        greeting=_greeting(name),
        body=f"Please confirm that {to} is your address. The link is valid for {hours} hours.",
        action_label="Verify my email",
        footer="If you did not create a StudySync account, you can ignore this mail.",
    )
    return render(to, content, link=token_link(public_url, "/verify-email", token), token=token)


def password_reset_mail(
    to: str, token: str, *, public_url: str, name: str | None = None, minutes: int = 60
) -> OutgoingMail:
    content = MailContent(
        subject="Reset your StudySync password",
        greeting=_greeting(name),
        body=(
            "Someone asked to reset the password of your StudySync account. "
            f"The link works once, for {minutes} minutes."
        ),
        action_label="Choose a new password",
        footer="If you did not ask for this, ignore this mail: your password stays as it is.",
    )
    return render(to, content, link=token_link(public_url, "/reset-password", token), token=token)


def notice_mail(
    to: str,
    token: str,
    *,
    public_url: str,
    path: str,
    subject: str,
    body: str,
    action_label: str = "Open StudySync",
    name: str | None = None,
) -> OutgoingMail:
    """Any other mail that carries a token (e.g. an email change confirmation)."""
    content = MailContent(
        subject=subject,
        greeting=_greeting(name),
        body=body,
        action_label=action_label,
        footer="You receive this mail because of your StudySync account.",
    )
    return render(to, content, link=token_link(public_url, path, token), token=token)
