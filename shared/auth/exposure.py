"""The secure default: with nobody able to sign in, the consoles serve only this machine.

"Able to sign in" means an enabled local account with a password, or OpenID Connect configured. Without
either, every visitor would act as admin, so any address beyond loopback is refused with what to do.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from shared.auth.errors import UnsafeExposureError


def is_loopback(host: str | None) -> bool:
    """True for localhost and 127.0.0.0/8, ::1. None/"" means all interfaces (Streamlit's default)."""
    if not host:
        return False
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def instructions(host: str | None) -> str:
    where = host or "all interfaces"
    return (f"Refusing to serve on {where}: nobody can sign in yet (no local accounts, no OpenID Connect), "
            "so anyone reaching the port would act as admin. Either add an account — "
            "`verticals users add you@example.com --role admin` — or configure single sign-on in "
            ".streamlit/secrets.toml [auth] (docs/teams.md); or listen on 127.0.0.1 only "
            "(`--host 127.0.0.1`, `--server.address 127.0.0.1`).")


def check_exposure(host: str | None, *, local_accounts: int, oidc: bool) -> None:
    """Raise `UnsafeExposureError` when `host` is not loopback and nobody can sign in."""
    if local_accounts == 0 and not oidc and not is_loopback(host):
        raise UnsafeExposureError(instructions(host))


def check_suite_exposure(host: str | None, root: Path) -> None:
    """`check_exposure` with what is configured here: the suite database's accounts, secrets files under `root`."""
    if is_loopback(host):
        return
    from shared.auth.oidc import oidc_configured_on_disk
    from shared.auth.users import UserStore

    store = UserStore()
    try:
        check_exposure(host, local_accounts=store.count_sign_in(), oidc=oidc_configured_on_disk(root))
    finally:
        store.engine.dispose()
