"""The account mails (verification, password reset) handed to the mail queue: domain.ports'
`AccountMail`. Called after commit; `submit` never blocks or raises, so the request carries on
whatever the mail server does."""

from __future__ import annotations

from adapters.mail_queue import MailQueue
from adapters.mail_templates import password_reset_mail, verification_mail


class QueuedAccountMail:
    def __init__(
        self, queue: MailQueue, public_url: str, *, verify_hours: float, reset_minutes: float
    ) -> None:
        self._queue = queue
        self._public_url = public_url
        self._verify_hours = verify_hours
        self._reset_minutes = reset_minutes

    def verification(self, to: str, name: str, token: str) -> None:
        hours = max(1, round(self._verify_hours))
        mail = verification_mail(to, token, public_url=self._public_url, name=name, hours=hours)
        self._queue.submit(mail)

    def password_reset(self, to: str, name: str, token: str) -> None:
        minutes = max(1, round(self._reset_minutes))
        mail = password_reset_mail(
            to, token, public_url=self._public_url, name=name, minutes=minutes
        )
        self._queue.submit(mail)
