"""The one sign-in gate at the top of every console: `identity = gate(permission="bot.chat")`.

Who is signed in, in this order: a local account signed in through the form this session (re-checked
against the users table on every page run, so a disabled account is out at its next click); a person
signed in through `st.login` (OIDC) when `[auth]` is in the secrets; otherwise, when nobody can sign in
at all, single-user mode as `SYSTEM` — but only while the server listens on loopback. Anything else draws
the login form (and the single sign-on button) and stops the page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from shared.auth.errors import SignInError
from shared.auth.exposure import instructions, is_loopback
from shared.auth.identity import SYSTEM, Identity
from shared.auth.oidc import oidc_identity, secrets_configured
from shared.auth.users import UserStore, suite_url

SESSION_KEY = "verticals_identity"  # the e-mail of the local account signed in this session


@st.cache_resource(show_spinner=False)
def _users(url: str) -> UserStore:
    return UserStore(url)


def _oidc_configured() -> bool:
    try:
        return secrets_configured(st.secrets)
    except Exception:  # noqa: BLE001 - no secrets file at all raises Streamlit's own not-found error
        return False


def _oidc_claims() -> dict[str, Any] | None:
    try:
        return dict(st.user.to_dict()) if st.user.is_logged_in else None
    except (AttributeError, KeyError):  # st.user without auth configured has no is_logged_in
        return None


def _auth_settings() -> Any:
    from shared.settings import get_settings

    return get_settings().auth


def gate(permission: str | None = None, *, users: UserStore | None = None, title: str = "Sign in") -> Identity:
    """The signed-in identity holding `permission`, or draw what is needed (form, refusal) and `st.stop()`."""
    store = users or _users(suite_url())
    identity = _current(store)
    if identity is None:
        _login(store, title)
        st.stop()
    _sidebar(identity)
    if permission is not None and not identity.can(permission):
        st.error(f"{identity.name} (role {identity.role}) may not use this console: it needs {permission!r}. "
                 "Ask an admin for a role that grants it (docs/teams.md).")
        st.stop()
    return identity


def _current(store: UserStore) -> Identity | None:
    email = st.session_state.get(SESSION_KEY)
    if email:
        identity = store.active_identity(email)
        if identity is None:
            del st.session_state[SESSION_KEY]
            st.warning(f"{email} was disabled or removed; sign in again.")
        return identity
    oidc = _oidc_configured()
    if oidc:
        claims = _oidc_claims()
        if claims is not None:
            try:
                return oidc_identity(claims, store, _auth_settings())
            except SignInError as exc:
                st.error(str(exc))
                st.button("Sign out", key="signout", on_click=st.logout)
                st.stop()
    if not oidc and store.count_sign_in() == 0:
        address = st.get_option("server.address")
        if is_loopback(address):
            return SYSTEM
        st.error(instructions(address))
        st.stop()
    return None


def _login(store: UserStore, title: str) -> None:
    st.title(title)
    if _oidc_configured():
        st.button("Sign in with single sign-on", key="signin_oidc", type="primary", on_click=st.login)
    if store.count_sign_in() == 0:
        return
    with st.form("signin_form"):
        email = st.text_input("E-mail", key="signin_email")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        try:
            identity = store.authenticate(email, password)
        except SignInError as exc:
            st.error(str(exc))
            return
        st.session_state[SESSION_KEY] = identity.name
        st.rerun()


def _sign_out() -> None:
    if st.session_state.pop(SESSION_KEY, None) is None:
        st.logout()


def _sidebar(identity: Identity) -> None:
    if identity is SYSTEM:
        st.sidebar.caption("Single-user mode (this machine only). Add accounts with `verticals users add`.")
        return
    st.sidebar.caption(f"Signed in as **{identity.name}** · {identity.role}")
    st.sidebar.button("Sign out", key="signout", on_click=_sign_out)
