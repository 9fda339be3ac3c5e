"""Errors of sign-in, user management and the exposure check; each names the value and what to do.

`PermissionDenied` (a refused action) lives in `identity.py` beside `require`, and is re-exported here.
"""

from __future__ import annotations

from shared.auth.identity import PermissionDenied
from shared.errors import VerticalsError

__all__ = [
    "InvalidUserError",
    "PermissionDenied",
    "SignInError",
    "UnknownUserError",
    "UnsafeExposureError",
    "UserExistsError",
    "WeakPasswordError",
]


class SignInError(VerticalsError, PermissionError):
    """Wrong e-mail or password, a disabled account, or an OIDC user without a role."""


class UnknownUserError(VerticalsError, LookupError):
    """No account with that e-mail in the suite database."""


class UserExistsError(VerticalsError, ValueError):
    """An account with that e-mail already exists."""


class InvalidUserError(VerticalsError, ValueError):
    """A malformed e-mail, an unknown role, or a bad display name."""


class WeakPasswordError(VerticalsError, ValueError):
    """A password too short (or empty) to accept."""


class UnsafeExposureError(VerticalsError, PermissionError):
    """Asked to listen beyond loopback while nobody can sign in (no users, no OIDC)."""
