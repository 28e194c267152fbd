"""Password hashing (argon2), opaque API tokens, CSRF tokens and phone masking."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# A hash of a random password, verified against when the user does not exist, so a failed
# login takes the same time whether or not the username is known.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def use_cheap_hashing_for_tests() -> None:
    """Argon2 with minimal cost, so test fixtures creating many users stay fast; hashes stay real
    argon2 and verification works exactly as in production (the parameters travel in the hash)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """An opaque bearer token; only its digest is stored."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str | None:
    """138****5678: the first three and last four digits stay, the middle is hidden."""
    if not phone:
        return phone
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) <= 7:
        return "*" * len(phone)
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(phone))
