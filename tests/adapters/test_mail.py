"""Mail against a real SMTP server (aiosmtpd on loopback): content, TLS, auth, retries, outbox."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from adapters.mail import OutboxMailer, OutgoingMail, SmtpMailer, parse_smtp_url
from adapters.mail_queue import MailQueue
from adapters.mail_templates import notice_mail, password_reset_mail, verification_mail
from tests.adapters.certs import SelfSigned, make_self_signed
from tests.adapters.smtp_server import Inbox, LoopbackController, free_port, wait_for

SENDER = "StudySync <no-reply@studysync.test>"
PUBLIC = "https://study.example.edu"
TOKEN = "tok_-AbC123xyz789-_QRSTUVwxyz0123"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def smtp(inbox: Inbox) -> Iterator[LoopbackController]:
    controller = LoopbackController(inbox)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> SelfSigned:
    return make_self_signed(tmp_path_factory.mktemp("cert"))


def parse(raw: bytes) -> tuple[EmailMessage, str, str]:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return message, text.get_content(), html.get_content()


def registry_value(registry: CollectorRegistry, result: str) -> float:
    value = registry.get_sample_value("studysync_mail_sent_total", {"result": result})
    return value or 0.0


def mail(to: str = "ada@uni.edu") -> OutgoingMail:
    return verification_mail(to, TOKEN, public_url=PUBLIC, name="Ada")


def test_smtp_urls_parse_to_their_transport() -> None:
    plain = parse_smtp_url("smtp://127.0.0.1:1025")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls) == (
        "127.0.0.1",
        1025,
        False,
        False,
    )
    implicit = parse_smtp_url("smtps://me%40uni.edu:p%40ss@mail.uni.edu")
    assert (implicit.port, implicit.use_tls, implicit.username, implicit.password) == (
        465,
        True,
        "me@uni.edu",
        "p@ss",
    )
    upgraded = parse_smtp_url("smtp+starttls://u:p@mail.uni.edu")
    assert (upgraded.port, upgraded.start_tls, upgraded.use_tls) == (587, True, False)
    for bad in ("http://mail", "smtp://", "smtp://host:99999", "mail.uni.edu:25"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)


async def test_verification_mail_arrives_intact(smtp: LoopbackController, inbox: Inbox) -> None:
    await SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", SENDER).send(mail())

    [envelope] = inbox.received
    assert envelope.rcpt_tos == ["ada@uni.edu"]
    assert isinstance(envelope.original_content, bytes)
    message, text, html = parse(envelope.original_content)
    assert message["Subject"] == "Verify your StudySync email address"
    assert message["To"] == "ada@uni.edu"
    link = f"{PUBLIC}/verify-email?token={TOKEN}"
    assert link in text and f"Code: {TOKEN}" in text.splitlines()
    assert f'href="{link}"' in html and TOKEN in html
    assert "src=" not in html and "<link" not in html  # no external assets


def test_every_mail_carries_its_token_as_link_and_code() -> None:
    mails = {
        "/verify-email": verification_mail("a@uni.edu", TOKEN, public_url=PUBLIC + "/"),
        "/reset-password": password_reset_mail("a@uni.edu", TOKEN, public_url=PUBLIC),
        "/confirm": notice_mail(
            "a@uni.edu", TOKEN, public_url=PUBLIC, path="confirm", subject="S", body="B"
        ),
    }
    for path, built in mails.items():
        assert f"{PUBLIC}{path}?token={TOKEN}" in built.text
        assert f"Code: {TOKEN}" in built.text.splitlines()
        assert f"{PUBLIC}{path}?token={TOKEN}" in built.html


def test_user_values_are_escaped_in_html() -> None:
    hostile = '<script>alert(1)</script>"'
    built = notice_mail(
        "a@uni.edu",
        TOKEN,
        public_url=PUBLIC,
        path="/x",
        subject=hostile,
        body=hostile,
        name=hostile,
    )
    assert "<script>" not in built.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in built.html
    assert hostile in built.text  # plain text is not HTML: kept as written


async def test_starttls_with_auth(cert: SelfSigned, inbox: Inbox) -> None:
    controller = LoopbackController(
        inbox,
        tls_context=cert.server_context(),
        require_starttls=True,
        authenticator=inbox.authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        url = f"smtp+starttls://student%40uni.edu:p%40ss%3Aword@127.0.0.1:{controller.port}"
        await SmtpMailer(url, SENDER, tls_context=cert.client_context()).send(mail())
    finally:
        controller.stop()
    assert inbox.logins == ["student@uni.edu"]
    assert len(inbox.received) == 1


async def test_implicit_tls_with_auth(cert: SelfSigned, inbox: Inbox) -> None:
    controller = LoopbackController(
        inbox,
        ssl_context=cert.server_context(),
        authenticator=inbox.authenticator,
        auth_require_tls=False,  # aiosmtpd counts only STARTTLS as TLS; this session is TLS
    )
    controller.start()
    try:
        url = f"smtps://student%40uni.edu:p%40ss%3Aword@127.0.0.1:{controller.port}"
        await SmtpMailer(url, SENDER, tls_context=cert.client_context()).send(mail())
        with pytest.raises(Exception, match="(?i)certificate"):  # an untrusted cert is refused
            await SmtpMailer(url, SENDER).send(mail())
    finally:
        controller.stop()
    assert inbox.logins == ["student@uni.edu"]
    assert len(inbox.received) == 1


async def test_queue_retries_until_a_refusing_server_recovers(smtp: LoopbackController) -> None:
    inbox = smtp.handler
    inbox.failures = 2  # 451 twice, then accepted
    results: list[str] = []
    queue = MailQueue(
        SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", SENDER),
        base_delay=0.05,
        on_result=results.append,
    )
    await queue.start()
    assert queue.submit(mail())
    await wait_for(lambda: results)
    await queue.close()
    assert results == ["sent"] and inbox.attempts == 3 and len(inbox.received) == 1


async def test_queue_retries_until_a_down_server_comes_up(inbox: Inbox) -> None:
    port = free_port()  # nothing listens yet: connection refused
    registry = CollectorRegistry()
    queue = MailQueue(
        SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=2), base_delay=0.3, registry=registry
    )
    await queue.start()
    queue.submit(mail())
    await asyncio.sleep(0.1)
    assert inbox.received == []
    controller = LoopbackController(inbox, port=port)
    controller.start()
    try:
        await wait_for(lambda: registry_value(registry, "sent") == 1)
    finally:
        controller.stop()
        await queue.close()
    assert len(inbox.received) == 1 and registry_value(registry, "failed") == 0


async def test_a_failing_server_is_tried_a_bounded_number_of_times(
    smtp: LoopbackController, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = smtp.handler
    inbox.failures = -1  # always 451
    registry = CollectorRegistry()
    queue = MailQueue(
        SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", SENDER),
        max_attempts=3,
        base_delay=0.02,
        registry=registry,
    )
    await queue.start()
    started = time.perf_counter()
    assert queue.submit(mail("lost@uni.edu"))
    assert time.perf_counter() - started < 0.01  # the caller does not wait for SMTP
    with caplog.at_level(logging.INFO, logger="studysync.mail"):
        await wait_for(lambda: registry_value(registry, "failed") == 1)
        await queue.close()
    assert inbox.attempts == 3 and inbox.received == []
    assert any(
        r.levelno == logging.ERROR and "lost@uni.edu" in r.getMessage() for r in caplog.records
    )


async def test_a_permanent_refusal_is_not_retried(smtp: LoopbackController) -> None:
    inbox = smtp.handler
    inbox.failures, inbox.code = -1, "554 5.7.1 Rejected"
    results: list[str] = []
    queue = MailQueue(
        SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", SENDER),
        base_delay=0.02,
        on_result=results.append,
    )
    await queue.start()
    queue.submit(mail())
    await wait_for(lambda: results)
    await queue.close()
    assert results == ["failed"] and inbox.attempts == 1


async def test_a_full_queue_drops_without_blocking(smtp: LoopbackController) -> None:
    smtp.handler.delay = 0.5
    registry = CollectorRegistry()
    queue = MailQueue(
        SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", SENDER), maxsize=1, registry=registry
    )
    assert queue.submit(mail())
    started = time.perf_counter()
    assert not queue.submit(mail())
    assert time.perf_counter() - started < 0.01
    assert registry_value(registry, "dropped") == 1
    await queue.close(
        drain_seconds=0.1
    )  # never started: the queued mail is dropped, not lost silently
    assert registry_value(registry, "dropped") == 2
    assert not queue.submit(mail())  # closed
    assert registry_value(registry, "dropped") == 3


async def test_close_gives_up_on_a_stuck_server(smtp: LoopbackController) -> None:
    smtp.handler.delay = 3.0
    results: list[str] = []
    queue = MailQueue(SmtpMailer(f"smtp://127.0.0.1:{smtp.port}", SENDER), on_result=results.append)
    await queue.start()
    queue.submit(mail())
    queue.submit(mail())
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    await queue.close(drain_seconds=0.3, cancel_grace=0.2)
    assert time.perf_counter() - started < 1.0
    assert results == ["dropped", "dropped"]


async def test_outbox_writes_parseable_eml_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "var" / "outbox"
    mailer = OutboxMailer(outbox, SENDER)
    with caplog.at_level(logging.INFO, logger="studysync.mail"):
        await asyncio.gather(mailer.send(mail()), mailer.send(mail("bob@uni.edu")))
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2 and list(outbox.glob(".*")) == []
    recipients = set()
    for path in files:
        message, text, _ = parse(path.read_bytes())
        recipients.add(message["To"])
        assert f"Code: {TOKEN}" in text.splitlines()
        assert any(str(path) in record.getMessage() for record in caplog.records)
    assert recipients == {"ada@uni.edu", "bob@uni.edu"}
