"""An agent, in a real browser: asks the bot a customer's question, reads the sources, hands the
conversation over. The app runs as `streamlit run` over a small real knowledge base."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

QUESTION = "How long does it take to get a building permit?"


def link_wheel_cache(home: Path) -> None:
    """Reuse the data wheels already downloaded into the repo's cache (the FAQ, MovieLens...)."""
    wheels = Path(PROJECT_ROOT / "var" / "cache" / "wheels")
    wheels.mkdir(parents=True, exist_ok=True)
    (home / "cache").mkdir(parents=True, exist_ok=True)
    if not (home / "cache" / "wheels").exists():
        (home / "cache" / "wheels").symlink_to(wheels, target_is_directory=True)


@pytest.fixture
def bot_home(tmp_path: Path, minilm, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A VERTICALS_HOME whose bot store holds the `construction` workspace: three FAQ categories (~40 pairs)."""
    from customer_service.store import Store
    from customer_service.workspace import Workspaces
    from shared.datasets.construction_faq import load_construction_faq

    home = tmp_path / "home"
    link_wheel_cache(home)
    monkeypatch.setenv("VERTICALS_HOME", str(home))
    faq = load_construction_faq("en")
    keep = faq["category"].drop_duplicates().head(3).tolist()
    small = faq[faq["category"].isin(keep)].reset_index(drop=True)
    store = Store(f"sqlite:///{home / 'customer_service.db'}")
    ws = Workspaces(store, encoder_loader=lambda name: minilm)
    ws.create("construction")
    ws.knowledge("construction").ingest_faq("construction-faq", small)
    store.engine.dispose()
    return home


def test_agent_asks_sees_sources_and_hands_over(bot_home: Path, start_app, page) -> None:
    from playwright.sync_api import expect

    from customer_service.store import Store

    app = start_app("customer_service", bot_home)
    page.goto(app.url)
    expect(page.get_by_text("Support console").first).to_be_visible()
    expect(page.get_by_text("No conversations yet.")).to_be_visible()

    page.get_by_role("button", name="New conversation").click()
    expect(page.get_by_text(re.compile(r"Conversation #1 · open"))).to_be_visible()

    box = page.locator("[data-testid='stChatInput'] textarea")
    box.fill(QUESTION)
    box.press("Enter")
    # The customer's message, and the bot's proposal answered from the knowledge base.
    expect(page.get_by_text("Proposed reply")).to_be_visible()
    expect(page.locator("[data-testid='stChatMessage']").filter(has_text=QUESTION)).to_be_visible()
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Route")).to_contain_text("retrieval")
    reply = page.get_by_label("Reply (edit before sending)")
    expect(reply).to_have_value(re.compile(r"10 weeks"))

    sources = page.locator("[data-testid='stExpander']").filter(has_text=re.compile(r"Sources \(\d+\)"))
    sources.locator("summary").click()
    # Each source names the FAQ document and the question it came from, with its similarity.
    first = sources.get_by_text(re.compile(r"\[1\] construction-faq: \".+\?\""))
    expect(first).to_be_visible()
    expect(sources.get_by_text(re.compile(r"similarity 0\.\d\d")).first).to_be_visible()

    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_text(re.compile(r"Conversation #1 · handoff"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"⚑ #1 How long does it take"))).to_be_visible()

    store = Store(f"sqlite:///{bot_home / 'customer_service.db'}")
    wid = store.workspace("construction").id
    conv = store.conversation(wid, 1)
    assert conv.status == "handoff"
    assert [(h.by, h.resolved_at) for h in store.handoffs(wid)] == [("agent", None)]
    assert [m.role for m in store.messages(1)] == ["customer"]


def test_signed_in_agent_sends_a_reply_recorded_under_her_name(bot_home: Path, start_app, page) -> None:
    from playwright.sync_api import expect

    from customer_service.store import Store
    from shared.auth import Identity
    from shared.auth.users import UserStore

    UserStore(f"sqlite:///{bot_home / 'suite.db'}").add(
        "ana@example.com", "agent", "ana's long password", actor=Identity("root@example.com", "admin"))
    app = start_app("customer_service", bot_home)
    page.goto(app.url)
    page.get_by_role("textbox", name="E-mail").fill("ana@example.com")
    page.get_by_role("textbox", name="Password").fill("ana's long password")
    page.get_by_role("button", name="Sign in").click()
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text("ana@example.com")).to_be_visible()
    expect(sidebar.get_by_text("Knowledge base")).to_have_count(0)  # a supervisor's page

    page.get_by_role("button", name="New conversation").click()
    box = page.locator("[data-testid='stChatInput'] textarea")
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.get_by_text("Proposed reply")).to_be_visible()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("sent by ana@example.com")).to_be_visible()

    store = Store(f"sqlite:///{bot_home / 'customer_service.db'}")
    assert [(m.role, m.author) for m in store.messages(1)] == [("customer", None), ("agent", "ana@example.com")]
    rows = store.audit_trail(actor=Identity("sam@example.com", "supervisor"), action="reply.")
    store.engine.dispose()
    assert [(r.actor, r.role, r.action, r.target) for r in rows] == [
        ("ana@example.com", "agent", "reply.send", "conversation 1 / proposal 1")]
