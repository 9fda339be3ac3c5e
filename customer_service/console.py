"""What the agents' console shows, computed outside the page: conversation views and upload handling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from customer_service.errors import CustomerServiceError
from customer_service.knowledge import IngestReport, KnowledgeBase
from customer_service.store import Message, Proposal, Store
from shared.auth import Identity


@dataclass
class ConversationView:
    id: int
    status: str
    title: str
    messages: list[Message]
    pending: Proposal | None      # the bot's proposal for the last customer message, not yet sent
    proposals: dict[int, Proposal]  # by customer message id


def conversation_view(store: Store, workspace_id: int, conversation_id: int) -> ConversationView:
    conv = store.conversation(workspace_id, conversation_id)
    messages = store.messages(conversation_id)
    proposals = {p.message_id: p for p in store.proposals(conversation_id=conversation_id)}
    pending = None
    customer = [m for m in messages if m.role == "customer"]
    if customer:
        last = customer[-1]
        prop = proposals.get(last.id)
        answered = any(m.role == "agent" and m.id > last.id for m in messages)
        if prop is not None and prop.sent_text is None and not answered:
            pending = prop
    return ConversationView(conv.id, conv.status, conv.title, messages, pending, proposals)


def conversation_label(conv: Any) -> str:
    marker = {"open": "●", "handoff": "⚑", "resolved": "✓"}.get(conv.status, "?")
    return f"{marker} #{conv.id} {conv.title[:40] or '(empty)'}"


@dataclass
class UploadResult:
    name: str
    ok: bool
    message: str
    report: IngestReport | None = None


def ingest_uploads(kb: KnowledgeBase, files: list[tuple[str, bytes]],
                   progress: Callable[[float, str], None] | None = None, *,
                   actor: Identity | None = None) -> list[UploadResult]:
    """Ingest each file on its own: one bad file is reported and leaves nothing behind."""
    results = []
    for i, (name, data) in enumerate(files):
        def step(frac: float, text: str, i: int = i) -> None:
            if progress:
                progress((i + frac) / len(files), text)
        try:
            report = kb.ingest_bytes(name, data, progress=step, actor=actor)
        except CustomerServiceError as exc:
            results.append(UploadResult(name, False, str(exc)))
            continue
        verb = {"unchanged": "unchanged (already ingested)", "added": "added", "updated": "updated"}[report.status]
        results.append(UploadResult(name, True, f"{name}: {verb}, {report.n_chunks} chunks", report))
    return results
