"""The root's mail part: the mailer ([email] smtp_url, or the outbox directory), its queue
(started and stopped with the app) and the account mails the domain sends through it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.account_mail import QueuedAccountMail
from adapters.mail import Mailer, OutboxMailer, SmtpMailer, parse_smtp_url
from adapters.mail_queue import MailQueue
from wiring.keys import ACCOUNT_MAIL, METRICS, OVERRIDES, SETTINGS

log = logging.getLogger("studysync.mail")


def build_mailer(app: web.Application) -> Mailer:
    config = app[SETTINGS].email
    if config.smtp_url:
        smtp = parse_smtp_url(config.smtp_url)
        log.info("mail goes out through SMTP %s:%d", smtp.hostname, smtp.port)
        return SmtpMailer(config.smtp_url, config.from_address)
    outbox = config.outbox_path()
    log.info("no [email] smtp_url: mail is written as .eml files to %s", outbox)
    return OutboxMailer(outbox, config.from_address)


async def mail_context(app: web.Application) -> AsyncIterator[None]:
    config = app[SETTINGS].email
    queue = MailQueue(
        build_mailer(app),
        registry=app[METRICS],
        base_delay=app[OVERRIDES].get("mail_base_delay", 2.0),
    )
    await queue.start()
    app[ACCOUNT_MAIL] = QueuedAccountMail(
        queue,
        config.public_url,
        verify_hours=config.verify_hours,
        reset_minutes=config.reset_minutes,
    )
    yield
    await queue.close()
