"""Roles are checked in the bot's services (not only by hiding buttons), and every change leaves an audit
row naming the signed-in identity; the store records which agent sent each reply."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from customer_service.settings import WorkspaceSettings
from customer_service.store import TRAIL
from shared import audit
from shared.auth import Identity, PermissionDenied

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
ANA = Identity("ana@example.com", "agent")
SAM = Identity("sam@example.com", "supervisor")
PAT = Identity("pat@example.com", "product")


def trail(ws) -> list[tuple[str, str, str]]:
    return [(r.actor, r.action, r.target) for r in reversed(ws.store.audit_trail(actor=SAM))]


def test_agent_replies_are_attributed_and_audited(faq_workspace, faq) -> None:
    ws = faq_workspace
    bot = ws.bot("construction")
    conv = bot.start(actor=ANA)
    prop = bot.propose(conv, faq["question"][0], now=T0, actor=ANA)
    bot.send(prop.id, "Edited: " + prop.text, now=T0, actor=ANA)
    bot.rate(prop.id, 1, actor=ANA)
    bot.hand_over(conv, now=T0, actor=SAM)
    bot.resolve(conv, now=T0, actor=ANA)
    agent = [m for m in ws.store.messages(conv) if m.role == "agent"]
    assert [m.author for m in agent] == ["ana@example.com"]
    assert [m.author for m in ws.store.messages(conv) if m.role == "customer"] == [None]
    assert trail(ws)[-4:] == [
        ("ana@example.com", "reply.edit_send", f"conversation {conv} / proposal {prop.id}"),
        ("ana@example.com", "reply.rate", f"conversation {conv} / proposal {prop.id}"),
        ("sam@example.com", "conversation.handoff", f"conversation {conv}"),
        ("ana@example.com", "conversation.resolve", f"conversation {conv}"),
    ]
    sent = ws.store.audit_trail(actor=SAM, action="reply.edit_send")[0]
    assert '"edited":true' in sent.after and "Edited" not in sent.after  # sizes and flags, never the text
    assert sent.at == T0


def test_agent_may_not_change_the_knowledge_base_or_settings(faq_workspace, faq) -> None:
    ws = faq_workspace
    kb = ws.knowledge("construction")
    docs_before = [d.name for d in ws.store.documents(ws.get("construction").id)]
    before = trail(ws)
    with pytest.raises(PermissionDenied, match="ana@example.com \\(role agent\\).*'bot.supervise'"):
        kb.ingest_bytes("new.md", b"# Permits\nA permit takes two weeks.", actor=ANA)
    with pytest.raises(PermissionDenied):
        kb.delete("faq.jsonl", actor=ANA)
    settings = ws.settings("construction")
    settings.templates = {"greeting": "Hello!"}
    with pytest.raises(PermissionDenied):
        ws.save_settings("construction", settings, actor=ANA)
    with pytest.raises(PermissionDenied):
        ws.create("other", actor=ANA)
    with pytest.raises(PermissionDenied):
        ws.store.audit_trail(actor=ANA)
    assert [d.name for d in ws.store.documents(ws.get("construction").id)] == docs_before
    assert ws.settings("construction").templates == {} and ws.names() == ["construction"]
    assert trail(ws) == before


def test_product_user_may_not_chat(faq_workspace) -> None:
    bot = faq_workspace.bot("construction")
    with pytest.raises(PermissionDenied, match="'bot.chat'"):
        bot.start(actor=PAT)


def test_supervisor_changes_are_audited(workspaces, faq) -> None:
    ws = workspaces
    ws.create("construction", WorkspaceSettings(), now=T0, actor=SAM)
    kb = ws.knowledge("construction")
    kb.ingest_faq("faq.jsonl", faq.head(5), now=T0, actor=SAM)
    settings = ws.settings("construction")
    settings.templates = {"greeting": "Hello!"}
    settings.handoff.retrieval_threshold = 0.61
    ws.save_settings("construction", settings, actor=SAM)
    kb.delete("faq.jsonl", actor=SAM)
    rows = list(reversed(ws.store.audit_trail(actor=SAM)))
    assert [(r.actor, r.action, r.target) for r in rows] == [
        ("sam@example.com", "workspace.create", "workspace construction"),
        ("sam@example.com", "kb.ingest", "document faq.jsonl"),
        ("sam@example.com", "workspace.settings", "workspace construction: handoff, templates"),
        ("sam@example.com", "kb.delete", "document faq.jsonl"),
    ]
    assert '"templates":{"greeting":"Hello!"}' in rows[2].after and '"templates":{}' in rows[2].before
    assert '"chunks":5' in rows[1].after
    assert audit.entries(ws.store.engine, action="kb.", table=TRAIL) == ws.store.audit_trail(actor=SAM, action="kb.")
