"""Reading account mails in tests: from the outbox directory or a real SMTP inbox (aiosmtpd)."""

from __future__ import annotations

import asyncio
import re
import time
from abc import ABC, abstractmethod
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

_CODE = re.compile(r"^Code: ([A-Za-z0-9_-]+)", re.MULTILINE)


def parse_mail(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def code_of(message: EmailMessage) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    match = _CODE.search(text.get_content())
    assert match, "no Code: line in the mail"
    return match.group(1)


class Mailbox(ABC):
    """What both mail sinks answer: the mails to an address by a word of their subject, and
    the code of the newest one. A sink says where it reads (`place`) and lists its `mails()`."""

    place = "the mailbox"

    @abstractmethod
    def mails(self) -> list[EmailMessage]: ...

    def matching(self, to: str, subject_word: str) -> list[EmailMessage]:
        return [
            mail
            for mail in self.mails()
            if mail["To"] == to and subject_word.lower() in str(mail["Subject"]).lower()
        ]

    async def token_for(self, to: str, subject_word: str, timeout: float = 10.0) -> str:
        """The code of the newest matching mail, waiting for the queue to deliver it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(to, subject_word)
            if found:
                return code_of(found[-1])
            if time.monotonic() > deadline:
                raise AssertionError(f"no {subject_word!r} mail to {to} {self.place}")
            await asyncio.sleep(0.05)


class Outbox(Mailbox):
    """The .eml files the outbox mailer writes (the embedded default)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.place = f"in {directory}"

    def mails(self) -> list[EmailMessage]:
        if not self.directory.exists():
            return []
        files = sorted(self.directory.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
        return [parse_mail(path.read_bytes()) for path in files]


class SmtpInbox(Mailbox):
    """Mails an aiosmtpd handler (tests.adapters.smtp_server.Inbox) received."""

    place = "over SMTP"

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox

    def mails(self) -> list[EmailMessage]:
        return [parse_mail(envelope.content) for envelope in self.inbox.received]
