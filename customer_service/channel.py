"""The customer-facing chat channel over the bot: open a conversation, post a message and get the bot's
answer (or the handoff notice), read the conversation back as the customer sees it, and the agent's side
(conversations waiting for a human, replying to one).

The console and this channel share one store: a conversation the bot hands over here shows in the
console's list, and the agent's reply there (or through `agent_reply`) is what the customer reads next.
Customer text is redacted by the store before it is written, as in the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from customer_service.bot import HANDOFF_TEXT
from customer_service.workspace import Workspaces
from shared.auth import Identity, require

HANDOFF_NOTICE = "Thanks — a colleague will reply here shortly."
SOURCE_CHARS = 600


@dataclass(frozen=True)
class ChannelMessage:
    id: int
    role: str          # customer | bot | agent
    text: str
    created_at: datetime


@dataclass(frozen=True)
class ChannelReply:
    conversation_id: int
    message_id: int            # the customer's message as stored (redacted)
    status: str                # answered | handed_over
    route: str                 # template | retrieval | handoff
    text: str                  # what the customer is shown
    reply_id: int | None       # the bot's stored message when it answered
    sources: list[dict[str, Any]]
    intent: str | None
    confidence: float


def open_conversation(workspaces: Workspaces, workspace: str, title: str = "", now: datetime | None = None) -> int:
    return workspaces.bot(workspace).start(title, now=now)


def post(workspaces: Workspaces, workspace: str, conversation_id: int, text: str,
         now: datetime | None = None) -> ChannelReply:
    """The customer writes; the bot answers at once, or the conversation waits for an agent."""
    bot = workspaces.bot(workspace)
    prop = bot.propose(conversation_id, text, now=now, send=True)
    customer_id, reply_id = prop.message_id, prop.reply_id
    assert customer_id is not None  # propose always stores the customer's message
    if prop.sent:
        status, shown = "answered", prop.text
        sources = [{"n": s.get("n"), "label": s.get("label", ""), "text": str(s.get("text", ""))[:SOURCE_CHARS]}
                   for s in prop.sources]
    else:  # handed over now, or an agent already holds the conversation
        status, shown, sources = "handed_over", HANDOFF_NOTICE if prop.route != "handoff" else HANDOFF_TEXT, []
    return ChannelReply(conversation_id, customer_id, status, prop.route, shown, reply_id, sources,
                        prop.intent, prop.confidence)


def conversation_status(workspaces: Workspaces, workspace: str, conversation_id: int) -> str:
    return workspaces.store.conversation(workspaces.get(workspace).id, conversation_id).status


def messages(workspaces: Workspaces, workspace: str, conversation_id: int, after: int = 0) -> list[ChannelMessage]:
    """The conversation as the customer sees it, messages with id > `after`. An agent's message is "bot" when
    it is the bot's own answer sent unchanged, "agent" when a person wrote or edited it."""
    store = workspaces.store
    store.conversation(workspaces.get(workspace).id, conversation_id)  # unknown id → clear error
    rows = [m for m in store.messages(conversation_id) if m.id > after]
    if not rows:
        return []
    props = {p.id: p for p in store.proposals(conversation_id=conversation_id)} \
        if any(m.proposal_id for m in rows) else {}
    out = []
    for m in rows:
        role = m.role
        if role == "agent":
            p = props.get(m.proposal_id) if m.proposal_id else None
            role = "bot" if p is not None and p.route != "handoff" and not p.edited else "agent"
        out.append(ChannelMessage(m.id, role, m.text, m.created_at))
    return out


def waiting(workspaces: Workspaces, workspace: str, actor: Identity | None = None) -> list[Any]:
    """Conversations handed over to a human, newest first."""
    require(actor, "bot.chat")
    return workspaces.store.conversations(workspaces.get(workspace).id, status="handoff")


def agent_reply(workspaces: Workspaces, workspace: str, conversation_id: int, text: str,
                actor: Identity | None = None, now: datetime | None = None) -> int:
    """An agent answers the customer; returns the stored message id."""
    require(actor, "bot.chat")
    bot = workspaces.bot(workspace)
    bot.reply(conversation_id, text, now=now, actor=actor)
    return max(m.id for m in workspaces.store.messages(conversation_id))
