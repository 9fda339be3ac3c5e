"""The bot: for each customer message, propose a reply (template, retrieval, or handoff) and record it.

Routing, in order: a known intent above its calibrated threshold answers from its template; else the
knowledge base answers if its best passage clears the retrieval threshold; else the conversation is
flagged for a human. Follow-up messages ("and how long does that take?") are read together with the
customer's previous message.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from customer_service.compose import Composer
from customer_service.errors import InvalidMessageError
from customer_service.intents import IntentGuess, IntentModel, extract_slots, render_template
from customer_service.knowledge import KnowledgeBase, Passage
from customer_service.settings import MAX_MESSAGE_CHARS, WorkspaceSettings
from customer_service.store import Store
from shared.auth import Identity, require

HANDOFF_TEXT = ("I'm not certain about this one, so I'm passing your question to a colleague who will "
                "reply shortly.")
# The customer's earlier messages a reply reads (follow-ups, template slots): the recent ones, never the whole log.
HISTORY_MESSAGES = 20
_FOLLOW_START = re.compile(r"^\s*(and|also|but|so|what about|how about|then|ok(ay)?,? and)\b", re.IGNORECASE)
_ANAPHORA = re.compile(r"\b(that|it|this|those|these|they|them|there|one)\b", re.IGNORECASE)


@dataclass
class Decision:
    route: str                          # template | retrieval | handoff
    text: str
    confidence: float
    intent: IntentGuess | None = None
    retrieval_score: float | None = None
    passages: list[Passage] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    generated: bool = False
    query: str = ""
    reason: str = ""


@dataclass
class ProposalView:
    id: int
    conversation_id: int
    route: str
    text: str
    confidence: float
    intent: str | None
    intent_score: float | None
    retrieval_score: float | None
    sources: list[dict[str, Any]]
    generated: bool
    latency_ms: float
    sent: bool = False  # the bot replied to the customer itself (channel mode), no agent in between
    message_id: int | None = None  # the customer's message as stored (redacted)
    reply_id: int | None = None    # the bot's own reply to the customer, when `sent`

    @property
    def handoff(self) -> bool:
        return self.route == "handoff"


def validate_message(text: Any) -> str:
    if not isinstance(text, str):
        raise InvalidMessageError(f"A message must be text, got {type(text).__name__}.")
    stripped = text.strip()
    if not stripped:
        raise InvalidMessageError("The message is empty; type the customer's question.")
    if len(stripped) > MAX_MESSAGE_CHARS:
        raise InvalidMessageError(f"The message is {len(stripped)} characters; the limit is {MAX_MESSAGE_CHARS}. "
                                  "Split it, or upload long text to the knowledge base instead.")
    return stripped


def is_follow_up(text: str) -> bool:
    """Short messages that lean on the previous one: 'and how long does that take?'."""
    words = text.split()
    return bool(_FOLLOW_START.search(text)) or (len(words) <= 10 and bool(_ANAPHORA.search(text)))


_QUESTION_WORDS = frozenset(["do", "does", "did", "i", "we", "you", "need", "can", "could", "should", "would", "will", "is", "are", "was", "what", "which", "how", "when", "where", "who", "why", "may", "might", "must", "have", "has", "a", "an", "the", "to", "for", "of", "in", "on", "at", "my", "our", "your", "it", "that", "this", "there", "and", "or", "but", "so", "please"])


def follow_up_query(text: str, previous: str) -> str:
    """The follow-up with the previous message's topic words appended: the current question keeps its
    weight ("how long does it take") and the topic ("extension") comes from the context."""
    topic = [w for w in re.findall(r"[\w-]+", previous) if w.lower() not in _QUESTION_WORDS]
    return f"{text} ({' '.join(topic)})" if topic else text


class Bot:
    def __init__(self, *, store: Store, workspace_id: int, settings: WorkspaceSettings,
                 knowledge: KnowledgeBase | None = None, intents: IntentModel | None = None,
                 composer: Composer | None = None) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.settings = settings
        self.knowledge = knowledge
        self.intents = intents
        self.composer = composer or Composer(settings.generation)

    # ---- deciding (no storage) ---------------------------------------------------------------------------
    def decide(self, text: str, history: list[str] | None = None) -> Decision:
        """The reply to `text` given the customer's earlier messages (oldest first)."""
        text = validate_message(text)
        history = history or []
        query = follow_up_query(text, history[-1]) if history and is_follow_up(text) else text
        handoff = self.settings.handoff
        guess = None
        if self.intents is not None and self.settings.templates:
            guess = self.intents.predict([query])[0]
            template = self.settings.templates.get(guess.label)
            if template and guess.score >= handoff.intent_threshold:
                reply = render_template(template, extract_slots(history + [text]))
                return Decision("template", reply, guess.score, intent=guess, query=query)
        passages: list[Passage] = []
        if self.knowledge is not None and len(self.knowledge.index):
            passages = self.knowledge.search(query)
            best = passages[0].dense if passages else None
            if best is not None and best >= handoff.retrieval_threshold:
                context = history[-1] if query != text else ""
                answer = self.composer.compose(text if not context else query, passages, context)
                return Decision("retrieval", answer.text, best, intent=guess, retrieval_score=best,
                                passages=passages, sources=answer.sources, generated=answer.generated, query=query)
        best = passages[0].dense if passages else None
        reason = _handoff_reason(guess, best, self.settings)
        return Decision("handoff", HANDOFF_TEXT, max(guess.score if guess else 0.0, best or 0.0), intent=guess,
                        retrieval_score=best, passages=passages, sources=_brief(passages), query=query, reason=reason)

    # ---- conversations (stored) ------------------------------------------------------------------------
    def start(self, title: str = "", now: datetime | None = None, *, actor: Identity | None = None) -> int:
        require(actor, "bot.chat")
        return self.store.start_conversation(self.workspace_id, title, now=now).id

    def propose(self, conversation_id: int, text: str, now: datetime | None = None,
                send: bool = False, *, actor: Identity | None = None) -> ProposalView:
        """Decide and store the customer message with the proposal (one transaction).

        `send=True` (the customer channel): an answer is sent to the customer at once; a handoff, or a
        conversation an agent already holds, leaves the proposal for the console as usual."""
        require(actor, "bot.chat")
        started = time.perf_counter()
        text = validate_message(text)
        self.store.conversation(self.workspace_id, conversation_id)  # unknown id -> clear error, nothing stored
        history = self.store.customer_texts(conversation_id, limit=HISTORY_MESSAGES)
        decision = self.decide(text, history)
        latency = (time.perf_counter() - started) * 1000
        row = {"route": decision.route, "intent": decision.intent.label if decision.intent else None,
               "intent_score": decision.intent.score if decision.intent else None,
               "retrieval_score": decision.retrieval_score, "confidence": decision.confidence,
               "text": decision.text, "sources": decision.sources, "generated": decision.generated,
               "latency_ms": latency}
        msg, prop, reply = self.store.record_turn(conversation_id, text, row,
                                                  decision.reason if decision.route == "handoff" else None, now=now,
                                                  send=send)
        return ProposalView(id=prop.id, conversation_id=conversation_id, route=prop.route, text=prop.text,
                            confidence=prop.confidence, intent=prop.intent, intent_score=prop.intent_score,
                            retrieval_score=prop.retrieval_score, sources=prop.sources, generated=prop.generated,
                            latency_ms=latency, sent=prop.sent_text is not None, message_id=msg.id,
                            reply_id=reply.id if reply is not None else None)

    def send(self, proposal_id: int, text: str | None = None, now: datetime | None = None, *,
             actor: Identity | None = None) -> None:
        """The agent sends the proposal, as is or edited; the store records which agent."""
        require(actor, "bot.chat")
        prop = self.store.proposal(proposal_id)
        final = validate_message(text if text is not None else prop.text)
        self.store.record_sent(proposal_id, final, now=now, actor=actor)

    def reply(self, conversation_id: int, text: str, now: datetime | None = None, *,
              actor: Identity | None = None) -> None:
        require(actor, "bot.chat")
        self.store.conversation(self.workspace_id, conversation_id)
        self.store.record_agent_message(conversation_id, validate_message(text), now=now, actor=actor)

    def hand_over(self, conversation_id: int, reason: str = "agent took over", now: datetime | None = None, *,
                  actor: Identity | None = None) -> None:
        require(actor, "bot.chat")
        self.store.conversation(self.workspace_id, conversation_id)
        self.store.hand_over(conversation_id, reason, by="agent", now=now, actor=actor)

    def resolve(self, conversation_id: int, now: datetime | None = None, *, actor: Identity | None = None) -> None:
        require(actor, "bot.chat")
        self.store.conversation(self.workspace_id, conversation_id)
        self.store.resolve(conversation_id, now=now, actor=actor)

    def rate(self, proposal_id: int, rating: int, *, actor: Identity | None = None) -> None:
        require(actor, "bot.chat")
        if rating not in (-1, 1):
            raise InvalidMessageError(f"A rating is +1 (thumbs up) or -1 (thumbs down), got {rating!r}.")
        self.store.set_rating(proposal_id, rating, actor=actor)


def _handoff_reason(guess: IntentGuess | None, best: float | None, settings: WorkspaceSettings) -> str:
    parts = []
    if guess is not None:
        parts.append(f"intent {guess.label} at {guess.score:.2f} < {settings.handoff.intent_threshold:.2f}")
    if best is None:
        parts.append("no knowledge-base passage")
    else:
        parts.append(f"best passage {best:.2f} < {settings.handoff.retrieval_threshold:.2f}")
    return "low confidence: " + "; ".join(parts)


def _brief(passages: list[Passage]) -> list[dict[str, Any]]:
    """Near-miss passages are kept with a handoff so the agent sees what the bot considered."""
    from customer_service.compose import sources_of

    return sources_of(passages[:3])
