"""A customer, in a real browser, on the API's chat page (`verticals serve` as a real subprocess): asks a
question and reads the answer with its sources; asks something out of scope, is told a colleague will
reply; an agent answers through the console's service; the customer's page shows it (server-sent events)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from shared.paths import PROJECT_ROOT
from tests.e2e.conftest import START_TIMEOUT_S, app_env, free_port, stop
from tests.e2e.test_customer_service_browser import bot_home  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

QUESTION = "How long does it take to get a building permit?"
OFF_TOPIC = "Can you recommend a good pizza place?"
AGENT_REPLY = "Hello, this is Sam from the permits desk: try Luigi's on Main Street."


@pytest.fixture
def api(bot_home: Path, tmp_path: Path):  # noqa: F811
    port = free_port()
    log = tmp_path / "api.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "serve", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, env=app_env(bot_home),
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:  # ready = models warmed and databases reachable
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"API not ready:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.3)
        yield url
    finally:
        stop(proc)


def test_customer_chats_is_handed_over_and_reads_the_agents_reply(api: str, bot_home: Path, minilm, page) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from customer_service.console import conversation_view
    from customer_service.store import Store
    from customer_service.workspace import Workspaces

    page.goto(f"{api}/chat/construction")
    box = page.get_by_label("Your message")
    box.fill(QUESTION)
    box.press("Enter")
    answer = page.locator(".msg.bot").first
    expect(answer).to_contain_text("10 weeks")
    expect(answer.locator("ol.sources li").first).to_contain_text("construction-faq")
    expect(page.locator(".msg.customer").first).to_have_text(QUESTION)

    box.fill(OFF_TOPIC)
    box.press("Enter")
    expect(page.get_by_text("A colleague will reply here shortly.")).to_be_visible()

    # The agent, in the console's service: the handed-over conversation is waiting with its proposal.
    store = Store(f"sqlite:///{bot_home / 'customer_service.db'}")
    try:
        ws = Workspaces(store, encoder_loader=lambda name: minilm)
        wid = ws.get("construction").id
        (conv,) = store.conversations(wid, status="handoff")
        view = conversation_view(store, wid, conv.id)
        assert view.pending is not None and view.pending.route == "handoff"
        ws.bot("construction").send(view.pending.id, AGENT_REPLY)
    finally:
        store.engine.dispose()
    reply = page.locator(".msg.agent")
    expect(reply).to_contain_text(AGENT_REPLY)
    expect(reply.locator(".who")).to_have_text("Colleague")
    # Customer and bot text went in as text, never as markup.
    assert page.locator(".msg script").count() == 0
    assert re.search(r"10 weeks", page.locator(".msg.bot").first.inner_text())
