"""Single sign-on through Streamlit's `st.login` (OpenID Connect via Authlib): is it configured, and which
role does a signed-in person get.

Role, first match wins: the configured claim (`auth.role_claim`, a role name or a list of them) → the
account in the users table (`verticals users add EMAIL --role ROLE --oidc-only`) → the e-mail → role map
(`auth.email_roles`) → `auth.default_role`. A disabled account is refused whatever the claim says; nobody
matched is refused with what an admin should do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomllib

from shared.auth.errors import SignInError
from shared.auth.identity import Identity
from shared.auth.roles import ROLES
from shared.auth.settings import AuthSettings
from shared.auth.users import UserStore


def secrets_configured(secrets: Mapping[str, Any]) -> bool:
    """True when the secrets hold an `[auth]` section `st.login` can use (default or named provider)."""
    section = secrets.get("auth")
    if not isinstance(section, Mapping):
        return False
    if section.get("client_id") and section.get("server_metadata_url"):
        return True
    return any(isinstance(v, Mapping) and v.get("client_id") for v in section.values())


def secrets_files(root: Path) -> list[Path]:
    """Where `streamlit run` looks for secrets.toml when started from `root`."""
    return [Path.home() / ".streamlit" / "secrets.toml", root / ".streamlit" / "secrets.toml"]


def oidc_configured_on_disk(root: Path) -> bool:
    """For `verticals up` (no Streamlit runtime yet): does any secrets file configure `st.login`?"""
    for path in secrets_files(root):
        try:
            if secrets_configured(tomllib.loads(path.read_text())):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def _claimed_role(claims: Mapping[str, Any], claim: str | None) -> str | None:
    if not claim or claim not in claims:
        return None
    value = claims[claim]
    for role in value if isinstance(value, list | tuple) else [value]:
        if isinstance(role, str) and role in ROLES:
            return role
    return None


def oidc_identity(claims: Mapping[str, Any], users: UserStore, settings: AuthSettings) -> Identity:
    """The identity of a person the provider signed in, or `SignInError` saying what an admin should do."""
    email = str(claims.get("email") or "").strip().lower()
    name = email or f"oidc:{claims.get('sub', '')}"
    if name == "oidc:":
        raise SignInError("The identity provider sent neither an e-mail nor a subject; check its scopes "
                          "(openid email profile).")
    account = users.get(email) if email else None
    if account is not None and account.disabled:
        raise SignInError(f"The account {email} is disabled; ask an admin to enable it.")
    role = (_claimed_role(claims, settings.role_claim) or (account.role if account else None)
            or settings.email_roles.get(email) or settings.default_role)
    if role is None:
        raise SignInError(f"{name} signed in but has no role here; an admin can run "
                          f"`verticals users add {email or 'EMAIL'} --role ROLE --oidc-only`, or set auth.email_roles "
                          "/ auth.default_role (docs/teams.md).")
    return Identity(name=name, role=role, kind="user")
