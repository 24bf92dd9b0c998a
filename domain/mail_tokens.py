"""Single-use tokens sent by mail (verification, password reset): created in the caller's
transaction, mailed after its commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.account_records import RESET, VERIFY, new_secret, secret_hash
from domain.models import User
from domain.ports import AccountMail, UnitOfWork


class MailTokens:
    def __init__(
        self,
        mail: AccountMail,
        verify_lifetime: timedelta,
        reset_lifetime: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._mail = mail
        self._lifetimes = {VERIFY: verify_lifetime, RESET: reset_lifetime}
        self.clock = clock

    async def create(self, uow: UnitOfWork, user_id: int, purpose: str) -> str:
        token = new_secret()
        now = self.clock()
        expires_at = now + self._lifetimes[purpose]
        await uow.account_tokens.add_once(user_id, purpose, secret_hash(token), expires_at, now)
        return token

    async def use(self, uow: UnitOfWork, purpose: str, token: str) -> int | None:
        """The user id of a live token, spent now; None if unknown, expired or used."""
        return await uow.account_tokens.use_once(purpose, secret_hash(token), self.clock())

    def send_verification(self, user: User, token: str) -> None:
        self._mail.verification(user.email, user.name, token)

    def send_reset(self, user: User, token: str) -> None:
        self._mail.password_reset(user.email, user.name, token)
