"""The agents' console, headless through streamlit.testing.v1.AppTest: chat, send, hand over, upload."""

from __future__ import annotations

from pathlib import Path

import pytest

APP = str(Path(__file__).resolve().parents[2] / "customer_service" / "app.py")


@pytest.fixture
def console(faq_workspace, monkeypatch):
    """The app over the faq_workspace's SQLite file; the encoder comes from the session fixture."""
    import shared.encoders as enc_mod

    encoder = faq_workspace.encoder("minilm")
    monkeypatch.setattr(enc_mod, "load_encoder", lambda name: encoder)  # no second model load per app run
    monkeypatch.setenv("VERTICALS_BOT_DB", faq_workspace.store.url)
    import streamlit as st

    st.cache_resource.clear()
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at, faq_workspace


def _conv_id(ws) -> int:
    return ws.store.conversations(ws.get("construction").id)[0].id


def test_chat_propose_and_send(console):
    at, ws = console
    at.button(key="new_conv").click().run()
    at.chat_input(key="customer_msg").set_value("How long does it take to get a building permit?").run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric][:1] == ["retrieval"]
    reply = at.text_area[0]
    assert "10 weeks" in reply.value
    reply.set_value(reply.value + " Kind regards, Zaragoza AB").run()
    at.button(key="send").click().run()
    assert not at.exception, at.exception
    msgs = ws.store.messages(_conv_id(ws))
    assert [m.role for m in msgs] == ["customer", "agent"]
    assert msgs[1].text.endswith("Kind regards, Zaragoza AB")
    assert ws.store.proposals(conversation_id=_conv_id(ws))[0].edited
    assert len(at.text_area) == 0  # nothing pending any more


def test_hand_over_and_resolve(console):
    at, ws = console
    at.button(key="new_conv").click().run()
    at.chat_input(key="customer_msg").set_value("Can I add a kitchen inside my garage?").run()
    at.button(key="hand_over").click().run()
    assert not at.exception, at.exception
    wid = ws.get("construction").id
    assert ws.store.conversation(wid, _conv_id(ws)).status == "handoff"
    at.button(key="resolve").click().run()
    assert ws.store.conversation(wid, _conv_id(ws)).status == "resolved"


def test_empty_message_shows_an_error(console):
    at, ws = console
    at.button(key="new_conv").click().run()
    at.chat_input(key="customer_msg").set_value("   ").run()
    assert any("empty" in e.value for e in at.error)
    assert ws.store.messages(_conv_id(ws)) == []


def test_upload_good_and_bad_files(console):
    at, ws = console
    at.sidebar.radio(key="page").set_value("Knowledge base").run()
    assert not at.exception, at.exception
    at.file_uploader(key="upload").set_value([
        ("hours.md", b"# Opening hours\n\nThe office is open Monday to Friday, 8 to 17.", "text/markdown"),
        ("photo.txt", b"\x89PNG\x00\x00binary", "text/plain"),
    ]).run()
    at.button(key="ingest").click().run()
    assert not at.exception, at.exception
    assert any("hours.md: added, 1 chunks" in s.value for s in at.success)
    assert any("photo.txt" in e.value and "binary" in e.value for e in at.error)
    names = [d.name for d in ws.store.documents(ws.get("construction").id)]
    assert names == ["faq.jsonl", "hours.md"]


def test_analytics_page(console):
    at, ws = console
    bot = ws.bot("construction")
    conv = bot.start()
    bot.propose(conv, "What is a startbesked?")
    bot.propose(conv, "Do you sell garden gnomes?")
    at.sidebar.radio(key="page").set_value("Analytics").run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["By retrieval"] == "50%" and values["Handed over"] == "50%"


def test_new_conversation_is_selected(console):
    at, ws = console
    at.button(key="new_conv").click().run()
    at.chat_input(key="customer_msg").set_value("What is a startbesked?").run()
    first = _conv_id(ws)
    at.button(key="new_conv").click().run()
    assert not at.exception, at.exception
    newest = _conv_id(ws)
    assert newest != first
    assert at.subheader[0].value.startswith(f"Conversation #{newest}")
    at.radio(key="conv_pick").set_value(first).run()
    assert at.subheader[0].value.startswith(f"Conversation #{first}")


def test_supervisor_calibrates_from_the_console(console):
    at, ws = console
    at.sidebar.radio(key="page").set_value("Knowledge base").run()
    assert not at.exception, at.exception
    assert any("Not calibrated" in w.value for w in at.warning)
    at.button(key="calibrate").click().run()
    assert not at.exception, at.exception
    handoff = ws.settings("construction").handoff
    assert handoff.calibrated and handoff.calibration["intent"] is None
    cal = handoff.calibration["retrieval"]
    assert handoff.retrieval_threshold == cal["threshold"] and "held-out FAQ pairs" in cal["on"]
    assert any(s.value.startswith("retrieval threshold") for s in at.success)
    assert any("intent: not calibrated (the workspace has no intent model)" in c.value for c in at.caption)
    assert not any("Not calibrated" in w.value for w in at.warning)
    table = at.dataframe[-1].value
    assert table.loc[table["threshold"] == "retrieval", "expected coverage"].item() == f"{cal['coverage']:.1%}"
