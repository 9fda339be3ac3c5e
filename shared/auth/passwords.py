"""Password hashing with argon2id (argon2-cffi's recommended parameters); only the encoded hash is stored.

The encoded hash carries its own salt and parameters, so raising the cost later re-hashes on next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth.errors import WeakPasswordError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 hashes any length; the cap stops a megabyte "password" from costing CPU

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile: t=3, m=64 MiB, p=4


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"A password needs at least {MIN_LENGTH} characters "
                                f"(got {len(password) if isinstance(password, str) else 0}); choose a longer one.")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"A password may have at most {MAX_LENGTH} characters, got {len(password)}.")
    return password


def hash_password(password: str, hasher: PasswordHasher = _HASHER) -> str:
    return hasher.hash(check_password(password))


def verify_password(encoded: str, password: str, hasher: PasswordHasher = _HASHER) -> bool:
    """True when `password` matches; a malformed stored hash counts as a mismatch, never an exception."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        return False
    try:
        return hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str, hasher: PasswordHasher = _HASHER) -> bool:
    return hasher.check_needs_rehash(encoded)


# Verified when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password (no user probing).
DUMMY_HASH = _HASHER.hash("not-a-real-password-0123456789")
