"""How signed-in OIDC users get their role: the `[auth]` section of the suite settings (light: no database)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from shared.auth.roles import ROLES


class AuthSettings(BaseSettings):
    """`[auth]` in verticals.toml, or VERTICALS_AUTH__ROLE_CLAIM / __EMAIL_ROLES (JSON) / __DEFAULT_ROLE."""

    role_claim: str | None = Field(default=None, description="ID-token claim holding the role (or a list of roles).")
    email_roles: dict[str, str] = Field(default_factory=dict, description="E-mail → role for OIDC users.")
    default_role: str | None = Field(default=None, description="Role for any other signed-in OIDC user (None: refuse).")

    @field_validator("default_role")
    @classmethod
    def _known_role(cls, value: str | None) -> str | None:
        if value is not None and value not in ROLES:
            raise ValueError(f"auth.default_role {value!r} is not a role; choose one of {', '.join(ROLES)}")
        return value

    @field_validator("email_roles")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {email: role for email, role in value.items() if role not in ROLES}
        if bad:
            raise ValueError(f"auth.email_roles has unknown roles {bad}; choose from {', '.join(ROLES)}")
        return {email.strip().lower(): role for email, role in value.items()}
