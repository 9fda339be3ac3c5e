"""Export of agent corrections and handoffs as training data; retraining promotes only if not worse."""

from __future__ import annotations

import pandas as pd
import pytest

from customer_service.feedback import collect_training_data, retrieval_mrr
from customer_service.intents import PrototypeIntentModel
from customer_service.settings import WorkspaceSettings


def test_export_turns_corrections_and_handoffs_into_data(faq_workspace, encoder, tmp_path):
    ws = faq_workspace
    bot = ws.bot("construction")
    c1 = bot.start()
    p = bot.propose(c1, "How long does a building permit take?")
    bot.send(p.id, "About 10 weeks, sometimes 20 for complex cases.")            # corrected
    c2 = bot.start()
    h = bot.propose(c2, "Do you sell garden gnomes?")                            # handed over by the bot
    assert h.route == "handoff"
    bot.reply(c2, "No, we only build houses and extensions.")
    c3 = bot.start()
    ok = bot.propose(c3, "Can I build without a building permit?")
    bot.send(ok.id)                                                                # accepted as is
    c4 = bot.start()
    bad = bot.propose(c4, "What does a building permit cost?")
    bot.rate(bad.id, -1)
    bot.send(bad.id)                                                               # sent but thumbed down

    ws.create("bank", WorkspaceSettings(templates={"card_arrival": "Cards arrive in 7 days."}))
    intents = PrototypeIntentModel(encoder, {"card_arrival": ["Where is my card?"], "refund": ["refund please"]})
    bank = ws.bot("bank", intents=intents)
    c5 = bank.start()
    t = bank.propose(c5, "where is my card? it never came")
    assert t.route == "template"
    bank.send(t.id)

    export = collect_training_data(ws.store, ws.get("construction").id)
    pairs = export.pairs.sort_values("source").reset_index(drop=True)
    assert pairs[["question", "answer", "source"]].to_dict("records") == [
        {"question": "Can I build without a building permit?", "answer": ok.text, "source": "accepted"},
        {"question": "How long does a building permit take?",
         "answer": "About 10 weeks, sometimes 20 for complex cases.", "source": "corrected"},
        {"question": "Do you sell garden gnomes?", "answer": "No, we only build houses and extensions.",
         "source": "handoff"},
    ]
    bank_export = collect_training_data(ws.store, ws.get("bank").id)
    assert bank_export.intents[["text", "label"]].to_dict("records") == [
        {"text": "where is my card? it never came", "label": "card_arrival"}]
    paths = export.write(tmp_path / "export")
    assert pd.read_csv(paths[1]).shape == (3, 4)


def test_retrieval_mrr_is_exact(encoder):
    corpus = ["Cats purr when they are content.", "A building permit takes ten weeks.", "Bananas are yellow."]
    mrr = retrieval_mrr(encoder, ["how long for a building permit", "why does my cat purr"],
                        [corpus[1], corpus[0]], corpus)
    assert mrr == pytest.approx(1.0)
    assert retrieval_mrr(encoder, ["how long for a building permit"], [corpus[2]], corpus) < 1.0


@pytest.mark.slow
def test_retrain_intents_promotes_only_if_not_worse(tmp_path):
    """Real head fine-tuning through the core on a small Banking77-like set (slow: trains twice)."""
    from customer_service.feedback import retrain_intents
    from shared.errors import ModelNotFoundError
    from shared.registry import Registry

    texts = {"card_arrival": ["where is my card", "my card has not arrived", "card still not here",
                              "when does my card come", "card delivery is late"] * 4,
             "refund": ["i want a refund", "refund my payment", "money back please", "get my money back",
                        "refund not received"] * 4}
    base = pd.DataFrame([{"text": f"{t} {i}", "label": k} for k, ts in texts.items() for i, t in enumerate(ts)])
    registry = Registry(tmp_path / "registry")
    first = retrain_intents("t-intents", base, base.iloc[:0], epochs=3, registry=registry)
    assert first.promoted and first.current_metric is None
    second = retrain_intents("t-intents", base, pd.DataFrame({"text": ["where's the card"], "label": ["card_arrival"]}),
                             epochs=3, registry=registry)
    assert second.promoted == (second.candidate_metric >= second.current_metric)
    assert {c.base_model for c in registry.list("t-intents")} == {"minilm"}
    with pytest.raises(ModelNotFoundError, match="Unknown model 'no-such-model'"):  # the base is passed through
        retrain_intents("t-intents", base, base.iloc[:0], epochs=1, registry=registry, model="no-such-model")
    assert len(registry.list("t-intents")) == 2  # nothing half-registered
