"""The console gate through the real login form (AppTest), the secure default, and `verticals up --host`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from shared.auth import Identity
from shared.auth.errors import UnsafeExposureError
from shared.auth.exposure import check_exposure, is_loopback
from shared.auth.users import UserStore
from shared.paths import PROJECT_ROOT

ADMIN = Identity("root@example.com", "admin")
PAGE = """
from shared.auth.streamlit_gate import gate
import streamlit as st
identity = gate({permission!r}, title="Test console")
st.markdown(f"WELCOME {{identity.name}} as {{identity.role}}")
"""


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserStore:
    url = f"sqlite:///{tmp_path / 'suite.db'}"
    monkeypatch.setenv("VERTICALS_SUITE_DB", url)
    return UserStore(url)


def page(permission: str | None = None) -> AppTest:
    return AppTest.from_string(PAGE.format(permission=permission), default_timeout=30)


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="signin_email").input(email)
    at.text_input(key="signin_password").input(password)
    return at.button[0].click().run()  # the form's submit button


def welcome(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("WELCOME")]


def test_single_user_on_loopback_when_nobody_can_sign_in(suite: UserStore) -> None:
    at = page().run()
    assert welcome(at) == ["WELCOME system as admin"]
    assert "Single-user mode" in at.sidebar.caption[0].value


def test_single_user_refused_beyond_loopback(suite: UserStore) -> None:
    previous = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = page().run()
    finally:
        st_config.set_option("server.address", previous)
    assert welcome(at) == []
    assert "Refusing to serve on 0.0.0.0" in at.error[0].value
    assert "verticals users add" in at.error[0].value


def test_local_sign_in_through_the_form_then_sign_out(suite: UserStore) -> None:
    suite.add("ana@example.com", "agent", "ana's long password", actor=ADMIN)
    at = page("bot.chat").run()
    assert welcome(at) == [] and at.title[0].value == "Test console"
    at = sign_in(at, "ana@example.com", "wrong password!!")
    assert at.error[0].value == "Wrong e-mail or password." and welcome(at) == []
    at = sign_in(at, "ANA@example.com", "ana's long password")
    assert welcome(at) == ["WELCOME ana@example.com as agent"]
    assert "ana@example.com" in at.sidebar.caption[0].value
    at.sidebar.button(key="signout").click().run()
    assert welcome(at) == [] and at.text_input(key="signin_email") is not None


def test_a_role_without_the_console_permission_is_stopped(suite: UserStore) -> None:
    suite.add("pat@example.com", "product", "pat's long password", actor=ADMIN)
    at = sign_in(page("monitor.read").run(), "pat@example.com", "pat's long password")
    assert welcome(at) == []
    assert "needs 'monitor.read'" in at.error[0].value


def test_disabling_an_account_signs_it_out_at_the_next_page_run(suite: UserStore) -> None:
    suite.add("root@example.com", "admin", "root's long password", actor=ADMIN)
    suite.add("bo@example.com", "supervisor", "bo's long password", actor=ADMIN)
    at = sign_in(page().run(), "bo@example.com", "bo's long password")
    assert welcome(at) == ["WELCOME bo@example.com as supervisor"]
    suite.set_role("bo@example.com", "agent", actor=ADMIN)
    assert welcome(at.run()) == ["WELCOME bo@example.com as agent"]  # the new role applies at once
    suite.disable("bo@example.com", actor=ADMIN)
    at.run()
    assert welcome(at) == [] and "disabled or removed" in at.warning[0].value


def test_oidc_button_when_configured(suite: UserStore) -> None:
    at = page()
    at.secrets["auth"] = {"client_id": "c", "client_secret": "s", "cookie_secret": "k",
                          "redirect_uri": "http://localhost:1/oauth2callback",
                          "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}
    at.run()
    assert welcome(at) == []
    assert at.button(key="signin_oidc").label == "Sign in with single sign-on"
    assert not any(t.key == "signin_email" for t in at.text_input)  # no local accounts: no password form


def test_exposure_rules() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback(None) and not is_loopback("10.0.0.2")
    check_exposure("127.0.0.1", local_accounts=0, oidc=False)
    check_exposure("0.0.0.0", local_accounts=1, oidc=False)
    check_exposure("0.0.0.0", local_accounts=0, oidc=True)
    with pytest.raises(UnsafeExposureError, match="Refusing to serve on 0.0.0.0"):
        check_exposure("0.0.0.0", local_accounts=0, oidc=False)


def test_up_on_all_interfaces_refuses_without_users(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "VERTICALS_HOME": str(tmp_path),
           "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "shared.cli.main", "up", "--host", "0.0.0.0"], env=env, check=False,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert "Refusing to serve on 0.0.0.0" in out.stderr and "verticals users add" in out.stderr
    assert not (tmp_path / "logs").exists()  # refused before starting anything
