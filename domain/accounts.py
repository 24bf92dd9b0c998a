"""The account lifecycle after registration: email verification, password reset and change.

Every limit reserves its slot before acting (domain/throttle.py), so parallel requests never
get more mails or password checks through than the limit."""

from __future__ import annotations

from dataclasses import dataclass

from domain.account_records import RESET, VERIFY, IssuedAccess, SignedIn
from domain.errors import InvalidInput, NotFound, RateLimited, Unauthorized
from domain.events import TokensRevoked
from domain.mail_tokens import MailTokens
from domain.models import User
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory
from domain.refresh import SignInTokens
from domain.security import PasswordHasher
from domain.throttle import WindowCounter, retry_after_seconds
from domain.users import address_key_of, normalise_email


@dataclass(frozen=True)
class AccountLimits:
    resend_per_hour: int = 3
    reset_mails_per_hour: int = 3  # per email address
    reset_requests_per_hour: int = 20  # forgot + reset per client address
    password_failures: int = 5  # wrong current passwords per user, in the password window


@dataclass(frozen=True)
class AccountCounters:
    hourly: WindowCounter  # a one-hour window: mails, reset requests
    password: WindowCounter  # wrong current passwords


class AccountService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        sign_in: SignInTokens,
        mail_tokens: MailTokens,
        counters: AccountCounters,
        limits: AccountLimits,
        publisher: Publisher,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._sign_in = sign_in
        self._mail = mail_tokens
        self._counters = counters
        self._limits = limits
        self._publisher = publisher

    # ---- verification ------------------------------------------------------------------------

    async def verify_email(self, token: str) -> User:
        async with self._uow() as uow:
            user_id = await self._mail.use(uow, VERIFY, token)
            if user_id is None:
                raise InvalidInput(
                    "This verification link is invalid, used or expired",
                    {"token": "invalid, used or expired"},
                )
            await uow.account_data.mark_verified(user_id, self._mail.clock())
            user = await uow.users.get(user_id)
            await uow.commit()
        assert user is not None  # the token row cascades with its user
        return user

    async def resend_verification(self, user: User) -> bool:
        """False when already verified (nothing sent)."""
        if user.email_verified:
            return False
        await self._reserve(f"resend:{user.id}", self._limits.resend_per_hour, "verification")
        async with self._uow() as uow:
            token = await self._mail.create(uow, user.id, VERIFY)
            await uow.commit()
        self._mail.send_verification(user, token)
        return True

    # ---- password reset ----------------------------------------------------------------------

    async def forgot_password(self, email: str, address: str) -> None:
        """Mails a reset link if the account exists; the caller answers 202 either way. Both
        paths run the same lookup and the mail goes out after the response, so the timing says
        nothing about the address either."""
        await self._reserve_reset_request(address)
        try:
            email = normalise_email(email, "")
        except InvalidInput:
            return
        mails = await self._counters.hourly.reserve(
            f"reset-mail:{email}", self._limits.reset_mails_per_hour
        )
        if not mails.granted:
            return  # silently: a 429 here would tell that the account exists
        async with self._uow() as uow:
            credentials = await uow.users.credentials_by_email(email)
            user = await uow.users.get(credentials.user_id) if credentials else None
            token = await self._mail.create(uow, user.id, RESET) if user else None
            await uow.commit()
        if user is not None and token is not None:
            self._mail.send_reset(user, token)

    async def reset_password(self, token: str, password: str, address: str) -> SignedIn:
        await self._reserve_reset_request(address)
        password_hash = await self._hasher.hash(password)

        async def work(uow: UnitOfWork) -> tuple[int, SignedIn, list[IssuedAccess]]:
            user_id = await self._mail.use(uow, RESET, token)
            if user_id is None:
                raise InvalidInput(
                    "This reset link is invalid, used or expired",
                    {"token": "invalid, used or expired"},
                )
            signed_in, revoked = await self._replace_password(uow, user_id, password_hash)
            await uow.account_tokens.use_all_once(user_id, RESET, self._mail.clock())
            # The link came by mail: following it proves the address too.
            await uow.account_data.mark_verified(user_id, self._mail.clock())
            await uow.commit()
            return user_id, signed_in, revoked

        user_id, signed_in, revoked = await self._uow.run(work)
        await self._announce_revoked(user_id, revoked)
        return signed_in

    # ---- password change ---------------------------------------------------------------------

    async def change_password(self, user: User, current: str, new: str) -> SignedIn:
        await self.check_password(user, current)
        password_hash = await self._hasher.hash(new)
        async with self._uow() as uow:
            signed_in, revoked = await self._replace_password(uow, user.id, password_hash)
            await uow.commit()
        await self._announce_revoked(user.id, revoked)
        return signed_in

    async def check_password(self, user: User, password: str) -> None:
        """401 on a wrong password; each check holds a slot of the per-user limit (released
        when the password was right), so guessing in parallel gets no further."""
        key = f"password:{user.id}"
        slot = await self._counters.password.reserve(key, self._limits.password_failures)
        if not slot.granted:
            raise _limited("Too many wrong passwords", slot.retry_after)
        try:
            async with self._uow() as uow:
                stored = await uow.account_data.password_hash(user.id)
            right = await self._hasher.verify(password, stored)
        except BaseException:
            await self._counters.password.release(key, slot.slot)
            raise
        if not right:
            raise Unauthorized("The current password is wrong")
        await self._counters.password.release(key, slot.slot)

    # ---- helpers ------------------------------------------------------------------------------

    async def _replace_password(
        self, uow: UnitOfWork, user_id: int, password_hash: str
    ) -> tuple[SignedIn, list[IssuedAccess]]:
        await uow.account_data.set_password(user_id, password_hash)
        revoked = await self._sign_in.revoke(uow, user_id, None)
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("User not found")
        return await self._sign_in.issue(uow, user), revoked

    async def _announce_revoked(self, user_id: int, revoked: list[IssuedAccess]) -> None:
        await self._sign_in.announce(user_id, revoked)
        await self._publisher.publish(TokensRevoked(user_id))

    async def _reserve_reset_request(self, address: str) -> None:
        key = f"reset-request:{address_key_of(address)}"
        await self._reserve(key, self._limits.reset_requests_per_hour, "password reset")

    async def _reserve(self, key: str, limit: int, what: str) -> None:
        slot = await self._counters.hourly.reserve(key, limit)
        if not slot.granted:
            raise _limited(f"Too many {what} requests", slot.retry_after)


def _limited(what: str, remaining: float) -> RateLimited:
    retry_after = retry_after_seconds(remaining)
    return RateLimited(f"{what}; try again in {retry_after} seconds", retry_after)

