"""An acting identity and the permission check every service function makes."""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth.roles import ROLES
from shared.errors import VerticalsError


class PermissionDenied(VerticalsError, PermissionError):
    """The signed-in identity's role does not grant the permission an action needs."""


@dataclass(frozen=True)
class Identity:
    """Who acts: a signed-in user (`kind="user"`), an API key (`"key"`) or the suite itself (`"system"`).

    `name` is what the audit trail records (an e-mail, `key:NAME`, or `system`).
    """

    name: str
    role: str
    kind: str = "user"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; choose one of {', '.join(ROLES)}")
        if not self.name:
            raise ValueError("an identity needs a name")

    def can(self, permission: str) -> bool:
        return permission in ROLES[self.role]


# The CLI and schedulers run as the operator of the machine: single-user mode, every permission.
SYSTEM = Identity(name="system", role="admin", kind="system")


def require(actor: Identity | None, permission: str) -> Identity:
    """Return `actor` when it holds `permission`; otherwise raise `PermissionDenied` naming both.

    `None` means the caller predates sign-in (single-user, loopback-only mode) and acts as `SYSTEM`.
    """
    who = actor or SYSTEM
    if not who.can(permission):
        raise PermissionDenied(f"{who.name} (role {who.role}) may not do this: it needs {permission!r}; "
                               "ask an admin for a role that grants it")
    return who


def operator() -> Identity:
    """The person at this machine's shell: the CLI acts with every permission, recorded by OS user."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "unknown"
    return Identity(name=f"cli:{user}@{socket.gethostname()}", role="admin", kind="system")
