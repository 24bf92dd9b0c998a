"""Accounts: registration, login (throttled), profiles and token checks."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from domain.account_records import VERIFY, SignedIn
from domain.errors import (
    Conflict,
    EmailUnverified,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthorized,
)
from domain.events import ProfileChanged, TokensRevoked
from domain.mail_tokens import MailTokens
from domain.models import Credentials, NewUser, User
from domain.ports import Publisher, UnitOfWorkFactory
from domain.refresh import SignInTokens
from domain.revocation import RevokedTokenCache
from domain.security import PasswordHasher, TokenIssuer
from domain.socket_access import TOKEN_INVALID, TOKEN_LOGGED_OUT, VERIFY_FIRST
from domain.text import forbidden_character, is_invisible_char
from domain.throttle import WindowCounter, retry_after_seconds

LOGIN_FAILED = "Invalid email or password"


_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)


def normalise_email(email: str, required_suffix: str) -> str:
    email = email.strip().lower()
    invisible = forbidden_character(email) or any(map(is_invisible_char, email))
    if len(email) > 254 or invisible or not _EMAIL.match(email):
        raise InvalidInput("Enter a valid email address", {"email": "not a valid email address"})
    if required_suffix and not email.endswith(required_suffix.lower()):
        raise InvalidInput(
            f"Email must be a {required_suffix} address",
            {"email": f"must end with {required_suffix}"},
        )
    return email


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int
    window_seconds: int


class UserService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        failures: WindowCounter,
        limits: LoginLimits,
        publisher: Publisher,
        email_suffix: str,
        revoked: RevokedTokenCache,
        admins: tuple[str, ...] = (),
        *,
        sign_in: SignInTokens,
        mail_tokens: MailTokens,
        require_verified: bool = False,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self.tokens = tokens
        self._failures = failures
        self._limits = limits
        self._publisher = publisher
        self._email_suffix = email_suffix
        self._revoked = revoked
        self._admins = frozenset(email.strip().lower() for email in admins)
        self._sign_in = sign_in
        self._mail_tokens = mail_tokens
        self.require_verified = require_verified

    async def register(self, profile: dict[str, Any], password: str) -> SignedIn:
        """The account, its first sign-in and a verification mail (sent after commit)."""
        email = normalise_email(profile.pop("email"), self._email_suffix)
        password_hash = await self._hasher.hash(password)
        new_user = NewUser(email=email, password_hash=password_hash, **profile)
        async with self._uow() as uow:
            user = await uow.users.add(new_user)  # a duplicate email raises Conflict
            signed_in = await self._sign_in.issue(uow, user)
            verification = await self._mail_tokens.create(uow, user.id, VERIFY)
            await uow.commit()
        self._mail_tokens.send_verification(user, verification)
        await self._publisher.publish(ProfileChanged(user.id))
        return signed_in

    def issue_token(self, user: User) -> str:
        return self.tokens.issue(user.id, user.email, user.token_version)

    async def login(self, email: str, password: str, address: str) -> SignedIn:
        """Failures are counted per address and per account, each slot reserved before bcrypt
        runs, so parallel guesses never get more checks than the limit. An account that
        strangers locked still opens to its correct password from an address with no recent
        failures: the per-account limit stops guessing, not the owner."""
        email = email.strip().lower()
        address_key = f"login:address:{address_key_of(address)}"
        account_key = f"login:account:{email}"
        limit = self._limits.max_failures
        by_address = await self._failures.reserve(address_key, limit)
        if not by_address.granted:
            raise _too_many_failures(by_address.retry_after)
        by_account = await self._failures.reserve(account_key, limit)
        if not by_account.granted and by_address.used > 0:
            await self._failures.release(address_key, by_address.slot)
            raise _too_many_failures(by_account.retry_after)
        try:
            credentials = await self._check_password(email, password)
        except BaseException:  # busy, database down, cancelled: no password was judged
            await self._failures.release(address_key, by_address.slot)
            await self._failures.release(account_key, by_account.slot)
            raise
        if credentials is None:
            if not by_account.granted:
                raise _too_many_failures(by_account.retry_after)
            raise Unauthorized(LOGIN_FAILED)
        await self._failures.release(address_key, by_address.slot)
        await self._failures.reset(account_key)
        async with self._uow() as uow:
            user = await uow.users.get(credentials.user_id)
            if user is None:
                raise Unauthorized(LOGIN_FAILED)
            signed_in = await self._sign_in.issue(uow, user)
            await uow.commit()
        return signed_in

    async def refresh(self, refresh_token: str) -> SignedIn:
        return await self._sign_in.refresh(refresh_token)

    async def _check_password(self, email: str, password: str) -> Credentials | None:
        """The account's credentials if `password` is right; unknown emails cost a check too."""
        async with self._uow() as uow:
            credentials = await uow.users.credentials_by_email(email)
        password_hash = credentials.password_hash if credentials else None
        if await self._hasher.verify(password, password_hash):
            return credentials
        return None

    def is_admin(self, user: User) -> bool:
        return user.email.lower() in self._admins

    def require_admin(self, user: User) -> None:
        if not self.is_admin(user):
            raise Forbidden("Only administrators may do this")

    async def authenticate(self, token: str) -> User:
        """The user a token belongs to; refuses logged-out tokens, tokens of deleted users and
        tokens whose version was revoked ("log out everywhere")."""
        claims = self.tokens.decode(token)
        if claims.token_id and self._revoked.is_known(claims.token_id):
            raise Unauthorized(TOKEN_LOGGED_OUT)
        async with self._uow() as uow:
            user, revoked = await uow.users.get_for_token(claims.user_id, claims.token_id, _now())
        if revoked:
            self._revoked.remember(claims.token_id, claims.expires_at)
            raise Unauthorized(TOKEN_LOGGED_OUT)
        if user is None or user.token_version != claims.version:
            raise Unauthorized(TOKEN_INVALID)
        return user

    def check_verified(self, user: User) -> None:
        """403 `email_unverified` on group, chat and matching routes and on socket connect,
        when [accounts] require_verified_email is on."""
        if self.require_verified and not user.email_verified:
            raise EmailUnverified(VERIFY_FIRST)

    async def get(self, user_id: int) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("User not found")
        return user

    async def list_page(self, after_id: int | None, limit: int) -> list[User]:
        async with self._uow() as uow:
            return await uow.users.list_page(after_id, limit)

    async def update_profile(self, user_id: int, changes: dict[str, Any]) -> User:
        async with self._uow() as uow:
            user = await uow.users.update_profile(user_id, changes)
            if user is None:
                raise NotFound("User not found")
            await uow.commit()
        await self._publisher.publish(ProfileChanged(user_id))
        return user

    async def rotate_calendar_token(self, user_id: int) -> User:
        async with self._uow() as uow:
            await uow.users.set_calendar_token(user_id, new_calendar_token())
            user = await uow.users.get(user_id)
            await uow.commit()
        if user is None:
            raise NotFound("User not found")
        return user

    async def logout(self, token: str) -> None:
        """Revoke one token (the caller's current one) until it would have expired, and the
        refresh-token family it was issued with (the access tokens of that sign-in too): stored
        in the database, so it stays revoked across restarts and workers."""
        claims = self.tokens.decode(token)
        expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
        async with self._uow() as uow:
            await uow.revocations.add(claims.token_id, expires_at)
            family = await uow.account_tokens.family_of_access(claims.token_id)
            revoked = await self._sign_in.revoke(uow, claims.user_id, family) if family else []
            await uow.commit()
        self._revoked.remember(claims.token_id, claims.expires_at)
        await self._publisher.publish(TokensRevoked(claims.user_id, claims.token_id))
        await self._sign_in.announce(claims.user_id, revoked)

    async def prune_revoked_tokens(self) -> int:
        """Drop denylist rows of tokens that have expired anyway."""
        async with self._uow() as uow:
            pruned = await uow.revocations.prune(_now())
            await uow.commit()
        return pruned

    async def logout_everywhere(self, user_id: int) -> None:
        """Every access token (a new token version) and every refresh-token family."""
        async with self._uow() as uow:
            await uow.users.bump_token_version(user_id)
            await self._sign_in.revoke(uow, user_id, None)
            await uow.commit()
        await self._publisher.publish(TokensRevoked(user_id))


def _too_many_failures(remaining: float) -> RateLimited:
    retry_after = retry_after_seconds(remaining)
    return RateLimited(f"Too many failed logins; try again in {retry_after} seconds", retry_after)


def _now() -> datetime:
    return datetime.now(UTC)


def address_key_of(address: str) -> str:
    """The throttling key of a client address: an IPv6 client usually holds a whole /64, so its
    addresses count as one; IPv4 addresses (and anything unparsable) count as themselves."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


def public_view(user: User) -> User:
    """What other users may see: no email, no secrets."""
    return replace(user, email="", calendar_token="")


__all__ = ["Conflict", "LoginLimits", "UserService", "normalise_email", "public_view"]
