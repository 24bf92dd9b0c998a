"""Passwords (bcrypt, on the bounded hashing queue) and access tokens (HS256 JWT, pinned)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import bcrypt
import jwt

from domain.errors import Unauthorized
from domain.hashing import HashQueue

ALGORITHM = "HS256"


def _prehash(password: str) -> bytes:
    # bcrypt reads at most 72 bytes (and bcrypt 5 refuses more); a SHA-256 prehash lets every
    # character of a 128-character password count. base64 keeps NUL bytes out of bcrypt's input.
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


class PasswordHasher:
    """Every bcrypt call goes through `queue` (503 busy when it is full). Passwords are used
    exactly as given: never trimmed or otherwise altered."""

    def __init__(self, rounds: int = 12, queue: HashQueue | None = None) -> None:
        self.rounds = rounds
        self.queue = queue or HashQueue(concurrency=2, queue_limit=64)
        # A real hash to compare against when the account does not exist, so a login for an
        # unknown email costs as much as one with a wrong password.
        self._dummy_hash = bcrypt.hashpw(_prehash(secrets.token_hex(8)), bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self.rounds)
        hashed = await self.queue.run(lambda: bcrypt.hashpw(_prehash(password), salt))
        return hashed.decode("ascii")

    async def verify(self, password: str, password_hash: str | None) -> bool:
        target = password_hash.encode("ascii") if password_hash else self._dummy_hash
        matches = await self.queue.run(lambda: bcrypt.checkpw(_prehash(password), target))
        return matches and password_hash is not None


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    email: str
    version: int
    issued_at: int
    expires_at: int
    token_id: str


class TokenIssuer:
    def __init__(self, secret: str, expiry_seconds: int) -> None:
        if not secret:
            raise ValueError("a JWT secret is required")
        self._secret = secret
        self.expiry_seconds = expiry_seconds

    def issue(self, user_id: int, email: str, version: int = 0) -> str:
        return self.issue_with_id(user_id, email, version)[0]

    def issue_with_id(self, user_id: int, email: str, version: int = 0) -> tuple[str, str, int]:
        """(token, its id, its expiry as a Unix time)."""
        now = int(time.time())
        token_id = uuid.uuid4().hex
        claims = {
            "sub": str(user_id),
            "user_id": user_id,
            "email": email,
            "ver": version,
            "jti": token_id,
            "iat": now,
            "exp": now + self.expiry_seconds,
        }
        expires_at = now + self.expiry_seconds
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), token_id, expires_at

    def decode(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "exp", "iat"]},
            )
            return TokenClaims(
                user_id=int(claims["sub"]),
                email=str(claims.get("email", "")),
                version=int(claims.get("ver", 0)),
                issued_at=int(claims["iat"]),
                expires_at=int(claims["exp"]),
                token_id=str(claims.get("jti", "")),
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token has expired") from exc
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError) as exc:
            raise Unauthorized("Invalid authentication token") from exc
