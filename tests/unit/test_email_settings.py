"""[email] settings: the file's `from` key, the env variables, and values refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import PROJECT_DIR, ConfigError, load_settings


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body)
    return path


def test_defaults_write_mail_to_the_checkouts_outbox() -> None:
    email = load_settings(environ={}).email
    assert email.smtp_url == "" and email.outbox_path() == PROJECT_DIR / "var" / "outbox"
    assert email.public_url == "http://127.0.0.1:5000"


def test_file_then_environment(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        '[email]\nfrom = "Us <a@b.edu>"\nsmtp_url = "smtp://127.0.0.1:1025"\nverify_hours = 2\n',
    )
    email = load_settings(path, environ={}).email
    assert (email.from_address, email.smtp_url, email.verify_hours) == (
        "Us <a@b.edu>",
        "smtp://127.0.0.1:1025",
        2.0,
    )
    env = {
        "SMTP_URL": "smtps://u:p@mail.example.com:465",
        "EMAIL_FROM": "Them <c@d.edu>",
        "PUBLIC_URL": "https://study.example.edu",
        "OUTBOX_DIR": str(tmp_path / "box"),
    }
    email = load_settings(path, environ=env).email
    assert email.smtp_url == env["SMTP_URL"] and email.from_address == env["EMAIL_FROM"]
    assert email.public_url == env["PUBLIC_URL"] and email.outbox_path() == tmp_path / "box"


@pytest.mark.parametrize(
    "line",
    [
        'smtp_url = "http://mail.example.com"',
        'smtp_url = "smtp://"',
        'public_url = "ftp://x"',
        "reset_minutes = 0",
        'verify_hours = "long"',
        'unknown = "x"',
    ],
)
def test_bad_values_stop_the_start(tmp_path: Path, line: str) -> None:
    with pytest.raises(ConfigError):
        load_settings(_config(tmp_path, f"[email]\n{line}\n"), environ={})


def test_public_base_is_none_while_public_url_is_the_default() -> None:
    from settings import DEFAULT_PUBLIC_URL, EmailSettings

    assert EmailSettings().public_base() is None
    assert EmailSettings(public_url=DEFAULT_PUBLIC_URL + "/").public_base() is None
    assert (
        EmailSettings(public_url="https://a.example.edu/").public_base() == "https://a.example.edu"
    )
