"""Single sign-on in a real browser against a real OpenID Connect provider (oidc-provider-mock) started by
the test on 127.0.0.1: the analyst clicks "Sign in with single sign-on", picks her user on the provider's
page, lands in the risk dashboard as that user (role from the e-mail → role map) and acknowledges an
alert — which the audit trail then shows under her identity."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, stop
from tests.e2e.test_finance_monitor_browser import monitor_home  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

ALICE = {"sub": "alice", "email": "alice@example.test", "name": "Alice Analyst"}


@pytest.fixture
def provider(tmp_path: Path):
    port = free_port()
    log = tmp_path / "oidc.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
                                 "--user-claims", json.dumps(ALICE)], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"OIDC provider did not start:\n{log.read_text(errors='replace')}") from None
            time.sleep(0.3)
    yield url
    stop(proc)


def test_sign_in_through_the_provider_and_act_as_that_user(monitor_home: Path, provider: str,  # noqa: F811
                                                           start_app, page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from finance_monitor.store import TRAIL, AlertRow, Store
    from shared import audit

    # Streamlit reads ~/.streamlit/secrets.toml: a HOME of the test's own keeps the repository clean.
    fake_home = tmp_path / "user"
    (fake_home / ".streamlit").mkdir(parents=True)
    port = free_port()
    (fake_home / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "test-cookie-secret-0123456789abcdef"\n'
        'client_id = "verticals-test"\n'
        'client_secret = "verticals-test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n')
    app = start_app("finance_monitor", monitor_home, port, HOME=str(fake_home),
                    VERTICALS_AUTH__EMAIL_ROLES=json.dumps({"alice@example.test": "risk_analyst"}))
    page.goto(app.url.replace("127.0.0.1", "localhost"))
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.get_by_role("button", name="alice").click()  # the provider's page lists its users by subject
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    expect(page.locator("[data-testid='stSidebar']").get_by_text("alice@example.test")).to_be_visible()

    page.locator("[data-testid='stSidebar']").get_by_text("Alerts", exact=True).click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    status = page.locator("[data-testid='stDataFrame']").first.locator("[role='gridcell'][aria-colindex='3']")
    expect(status).to_have_text("acknowledged")

    store = Store(f"sqlite:///{monitor_home / 'finance_monitor.db'}")
    with store.session() as s:
        assert s.get(AlertRow, 1).acked_by == "alice@example.test"
    trail = [(r.actor, r.role, r.action, r.target) for r in audit.entries(store.engine, table=TRAIL)]
    store.dispose()
    assert trail[0] == ("alice@example.test", "risk_analyst", "alert.ack", "alert 1")
