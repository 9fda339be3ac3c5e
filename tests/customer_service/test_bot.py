"""The bot end to end on the real FAQ subset and the real encoder: answers, handoff, follow-ups,
bad input, persistence across restarts."""

from __future__ import annotations

import pytest

from customer_service.bot import HANDOFF_TEXT, is_follow_up
from customer_service.errors import InvalidMessageError, UnknownConversationError, UnknownWorkspaceError
from customer_service.intents import PrototypeIntentModel
from customer_service.store import Store
from customer_service.workspace import Workspaces


def test_in_scope_question_is_answered_with_citations(faq_workspace):
    bot = faq_workspace.bot("construction")
    conv = bot.start()
    p = bot.propose(conv, "how long do I wait for a building permit?")
    assert p.route == "retrieval"
    assert "10 weeks" in p.text and "[1]" in p.text
    assert p.sources[0]["n"] == 1
    assert "How long does it take to get a building permit?" in p.sources[0]["label"]
    assert p.confidence >= bot.settings.handoff.retrieval_threshold


@pytest.mark.parametrize("question", ["What is the exchange rate for euros today?",
                                      "Can you recommend a good pizza place?",
                                      "My phone screen is cracked, what should I do?"])
def test_out_of_scope_is_handed_over(faq_workspace, question):
    bot = faq_workspace.bot("construction")
    conv = bot.start()
    p = bot.propose(conv, question)
    assert p.route == "handoff" and p.text == HANDOFF_TEXT
    conv_row = faq_workspace.store.conversation(bot.workspace_id, conv)
    assert conv_row.status == "handoff"
    assert faq_workspace.store.handoffs(bot.workspace_id)[0].by == "bot"


def test_follow_up_uses_the_previous_message(faq_workspace):
    bot = faq_workspace.bot("construction")
    conv = bot.start()
    bot.propose(conv, "Do I need a building permit for an extension?")
    follow = bot.propose(conv, "and how long does that take?")
    assert follow.route == "retrieval"
    # "that" is the extension (or its permit): a duration answer on that topic, not any "how long" answer.
    top = follow.sources[0]["label"]
    assert "How long" in top and ("extension" in top or "building permit" in top), top
    assert is_follow_up("and how long does that take?")
    assert not is_follow_up("What does a building permit cost in Helsingborg for a new house?")


def test_template_route_fills_slots(workspaces, encoder):
    from customer_service.settings import WorkspaceSettings

    intents = PrototypeIntentModel(encoder, {
        "card_arrival": ["Where is my new card?", "My card has not arrived yet", "When will my card come?"],
        "request_refund": ["I want my money back", "Please refund my purchase", "How do I get a refund?"],
    })
    workspaces.create("bank", WorkspaceSettings(templates={
        "card_arrival": "Cards arrive within 7 days; after {waited|10 days} we send a new one.",
        "request_refund": "Ask the merchant to refund {amount|the payment}."}))
    bot = workspaces.bot("bank", intents=intents)
    conv = bot.start()
    p = bot.propose(conv, "I paid £25 for shoes, can I get a refund please?")
    assert (p.route, p.intent) == ("template", "request_refund")
    assert p.text == "Ask the merchant to refund 25 GBP."
    q = bot.propose(bot.start(), "my card still hasn't arrived after 2 weeks")
    assert q.text == "Cards arrive within 7 days; after 2 weeks we send a new one."


@pytest.mark.parametrize("text", ["", "   \n ", "x" * 5000])
def test_bad_messages_are_rejected_and_nothing_is_stored(faq_workspace, text):
    bot = faq_workspace.bot("construction")
    conv = bot.start()
    with pytest.raises(InvalidMessageError):
        bot.propose(conv, text)
    assert faq_workspace.store.messages(conv) == []
    assert faq_workspace.store.proposals(conversation_id=conv) == []


def test_unknown_workspace_and_conversation(faq_workspace):
    with pytest.raises(UnknownWorkspaceError, match="No workspace named 'nope'.*construction"):
        faq_workspace.bot("nope")
    bot = faq_workspace.bot("construction")
    with pytest.raises(UnknownConversationError):
        bot.propose(999, "hello")


def test_conversation_survives_a_restart(tmp_path, encoder, faq):
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    ws = Workspaces(Store(url), encoder_loader=lambda name: encoder)
    ws.create("construction")
    ws.knowledge("construction").ingest_faq("faq.jsonl", faq)
    bot = ws.bot("construction")
    conv = bot.start()
    p = bot.propose(conv, "What does a building permit cost? mail me at anna@example.com")
    bot.send(p.id, p.text + " Regards, Erik")
    ws.store.engine.dispose()

    ws2 = Workspaces(Store(url), encoder_loader=lambda name: encoder)
    bot2 = ws2.bot("construction")
    msgs = ws2.store.messages(conv)
    assert [m.role for m in msgs] == ["customer", "agent"]
    assert "anna@example.com" not in msgs[0].text and "[EMAIL]" in msgs[0].text  # PII redacted before storing
    prop = ws2.store.proposals(conversation_id=conv)[0]
    assert prop.edited and prop.sent_text.endswith("Regards, Erik") and prop.sources
    follow = bot2.propose(conv, "and how long does that take?")
    assert follow.route == "retrieval"  # the context came back from the file


def test_agent_actions(faq_workspace):
    bot = faq_workspace.bot("construction")
    conv = bot.start()
    p = bot.propose(conv, "Can I build without a building permit?")
    bot.rate(p.id, -1)
    bot.hand_over(conv)
    bot.reply(conv, "A colleague will call you today.")
    bot.resolve(conv)
    store = faq_workspace.store
    assert store.conversation(bot.workspace_id, conv).status == "resolved"
    assert store.proposal(p.id).rating == -1
    assert store.handoffs(bot.workspace_id)[0].resolved_at is not None
    with pytest.raises(InvalidMessageError):
        bot.rate(p.id, 5)
