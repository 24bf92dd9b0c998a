"""Outgoing mail: the `Mailer` interface, an SMTP mailer (aiosmtplib) and an outbox mailer.

`SmtpMailer` speaks SMTP to a configured server; `OutboxMailer` writes `.eml` files so the
embedded default needs no mail server. Both build the same MIME message from an `OutgoingMail`.
The queue that keeps sending off the request path is `adapters.mail_queue.MailQueue`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import ssl
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

log = logging.getLogger("studysync.mail")


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to one recipient, both bodies already rendered."""

    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """Deliver the mail or raise; retrying is the caller's business (see MailQueue)."""
        ...


class PermanentMailError(Exception):
    """The server refused the mail for good (5xx): retrying would not help."""


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """multipart/alternative: the plain-text part first, the HTML part last (preferred)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def _domain_of(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "studysync.invalid"


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # implicit TLS from the first byte (smtps://, usually port 465)
    start_tls: bool  # plain connection upgraded with STARTTLS (smtp+starttls://, usually 587)


_SCHEMES = {
    # scheme: (default port, implicit TLS, STARTTLS)
    "smtp": (25, False, False),
    "smtps": (465, True, False),
    "smtp+starttls": (587, False, True),
}


def parse_smtp_url(url: str) -> SmtpConfig:
    """`smtp://host:port`, `smtps://user:pass@host:465`, `smtp+starttls://user:pass@host:587`.

    User and password are percent-decoded, so a password may contain `@` or `:` as `%40`/`%3A`.
    Plain `smtp://` never upgrades on its own: a server's STARTTLS offer is ignored, because a
    half-configured certificate would otherwise break a working local relay.
    """
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"smtp_url scheme must be one of {sorted(_SCHEMES)}, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("smtp_url has no host")
    default_port, use_tls, start_tls = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as error:
        raise ValueError(f"smtp_url has a bad port: {error}") from None
    return SmtpConfig(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


class SmtpMailer:
    """Sends each mail on a fresh SMTP connection (mail volume here is low; no pool to go stale)."""

    def __init__(
        self,
        url: str,
        sender: str,
        *,
        timeout: float = 15.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = parse_smtp_url(url)
        self.sender = sender
        self.timeout = timeout
        self.tls_context = tls_context

    async def send(self, mail: OutgoingMail) -> None:
        config = self.config
        try:
            await aiosmtplib.send(
                build_message(mail, self.sender),
                hostname=config.hostname,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.use_tls,
                start_tls=config.start_tls,
                timeout=self.timeout,
                tls_context=self.tls_context,
            )
        except aiosmtplib.SMTPResponseException as error:
            if 500 <= error.code < 600:
                raise PermanentMailError(f"{error.code} {error.message}") from error
            raise
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentMailError(f"recipients refused: {codes}") from error
            raise


class OutboxMailer:
    """Writes each mail as `<time>-<random>.eml` into a directory (created if missing)."""

    def __init__(self, directory: str | os.PathLike[str], sender: str) -> None:
        self.directory = Path(directory)
        self.sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        data = build_message(mail, self.sender).as_bytes()
        path = await asyncio.to_thread(self._write, data)
        log.info("mail to %s (%s) written to %s", mail.to, mail.subject, path)

    def _write(self, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(8)}.eml"
        final = self.directory / name
        # Written under a temporary name and renamed, so a reader never sees half a mail.
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return final
