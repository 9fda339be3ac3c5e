"""Nearest-training-example confidence: scores with the real MiniLM, the on-disk vector cache, the
workspace wiring, and settings stored before the option existed."""

from __future__ import annotations

import numpy as np
import pytest

from customer_service.errors import NoTrainingDataError, SettingsError
from customer_service.intent_confidence import NearestExampleIntents, example_vectors, with_confidence
from customer_service.intents import IntentGuess, PrototypeIntentModel
from customer_service.settings import HandoffSettings, WorkspaceSettings

EXAMPLES = {
    "card_arrival": ["Where is my new card?", "My card has not arrived yet", "When will my card come?"],
    "request_refund": ["I want my money back", "Please refund my purchase", "How do I get a refund?"],
}
TEXTS = [t for texts in EXAMPLES.values() for t in texts]
LABELS = [label for label, texts in EXAMPLES.items() for _ in texts]


class FixedModel:
    """A classifier that is always sure of one intent: the softmax case that motivates the wrapper."""

    labels = sorted(EXAMPLES)

    def predict(self, texts):
        return [IntentGuess("request_refund", 0.99) for _ in texts]


def test_score_is_the_cosine_to_the_nearest_example(encoder):
    model = NearestExampleIntents(FixedModel(), encoder, TEXTS)
    vecs = encoder.encode(TEXTS)
    queries = ["Has my card been posted yet?", "Can you recommend a pizza place near the station?"]
    guesses = model.predict(queries)
    expected = (encoder.encode(queries) @ vecs.T).max(1)
    assert [g.score for g in guesses] == pytest.approx(expected.tolist(), abs=1e-5)
    assert all(g.label == "request_refund" and g.probability == 0.99 for g in guesses)  # label: the classifier's
    # in scope is near its examples, out of scope is not, although the classifier is equally sure of both
    assert guesses[0].score > 0.6 > guesses[1].score
    assert model.predict([TEXTS[0]])[0].score == pytest.approx(1.0, abs=1e-5)


def test_example_vectors_are_cached_on_disk(encoder, tmp_path):
    calls = []

    class Counting:
        name, dim = encoder.name, encoder.dim

        def encode(self, texts):
            calls.append(len(texts))
            return encoder.encode(texts)

    first = example_vectors(Counting(), TEXTS, tmp_path)
    second = example_vectors(Counting(), TEXTS, tmp_path)
    assert calls == [len(TEXTS)] and np.array_equal(first, second)
    example_vectors(Counting(), TEXTS[:2], tmp_path)  # other texts: another cache entry
    assert calls == [len(TEXTS), 2] and len(list(tmp_path.glob("*.npy"))) == 2


def test_kinds_and_missing_examples(encoder):
    model = FixedModel()
    assert with_confidence(model, "softmax") is model
    with pytest.raises(NoTrainingDataError, match="training examples"):
        with_confidence(model, "nearest", encoder, [])
    with pytest.raises(ValueError, match="nearest"):
        with_confidence(model, "entropy", encoder, TEXTS)
    with pytest.raises(SettingsError, match="intent_confidence"):
        HandoffSettings(intent_confidence="entropy")


def test_settings_stored_before_the_option_keep_their_probability_threshold():
    old = WorkspaceSettings.from_dict({"handoff": {"intent_threshold": 0.83, "calibrated": True}})
    assert old.handoff.intent_confidence == "softmax"
    assert WorkspaceSettings.from_dict({}).handoff.intent_confidence == "nearest"
    with pytest.raises(SettingsError, match="intent_method"):
        WorkspaceSettings(intent_method="prompting")
    assert WorkspaceSettings.from_dict({}).intent_base_model == "minilm"  # stored before the option existed
    with pytest.raises(SettingsError, match="intent_base_model is empty"):
        WorkspaceSettings(intent_base_model=" ")


def test_workspace_bot_scores_intents_by_nearest_example(workspaces, encoder):
    loaded = []
    workspaces._intent_loader = lambda name: loaded.append(name) or PrototypeIntentModel(encoder, EXAMPLES)
    workspaces._examples_loader = lambda spec: (TEXTS, LABELS) if spec == "tiny" else ([], [])
    workspaces.create("bank", WorkspaceSettings(
        intent_model="tiny-intents", intent_data="tiny",
        templates={"card_arrival": "Cards arrive within 7 days.", "request_refund": "Ask the merchant."},
        handoff=HandoffSettings(intent_threshold=0.75, intent_confidence="nearest")))
    bot = workspaces.bot("bank")
    assert isinstance(bot.intents, NearestExampleIntents)
    p = bot.propose(bot.start(), "When will my card come?")
    assert (p.route, p.intent) == ("template", "card_arrival") and p.intent_score == pytest.approx(1.0, abs=1e-5)
    off = bot.propose(bot.start(), "Which pizza place near the station is open late?")
    assert off.route == "handoff"
    workspaces.bot("bank")
    assert loaded == ["tiny-intents"]  # loaded and wrapped once
    workspaces.forget_intents("tiny-intents")
    workspaces.bot("bank")
    assert loaded == ["tiny-intents", "tiny-intents"]


def test_head_only_intent_model_scores_label_and_confidence_in_one_pass(encoder, tmp_path, monkeypatch):
    """A head-only classifier on MiniLM shares its features with the MiniLM confidence encoder: one forward
    pass per message, with the labels and scores the two-pass path gives."""
    import pandas as pd

    from customer_service.intents import CoreIntentModel
    from shared.api import finetune, load_model
    from shared.config import TrainConfig
    from shared.registry import Registry

    frame = pd.DataFrame([(t, label) for label, texts in EXAMPLES.items() for t in texts * 4],
                         columns=["text", "label"])
    registry = Registry(tmp_path / "reg")
    finetune(frame, name="intents", method="head", registry=registry, splits=(frame, frame, frame),
             config=TrainConfig(epochs=20, patience=20, progress=False))
    core = CoreIntentModel(load_model("intents", registry=registry))
    model = NearestExampleIntents(core, encoder, TEXTS)
    assert model._shares_encoder()
    queries = ["Has my card been posted yet?", "I'd like a refund please", "Recommend a pizza place"]
    encoded: list[int] = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts: encoded.append(len(texts)) or real(texts))
    one_pass = model.predict(queries)
    assert encoded == []  # the confidence came from the classifier's own pass
    monkeypatch.setattr(model, "_shares_encoder", lambda: False)
    two_pass = model.predict(queries)
    assert [g.label for g in one_pass] == [g.label for g in two_pass] == ["card_arrival", "request_refund",
                                                                           two_pass[2].label]
    assert [g.score for g in one_pass] == pytest.approx([g.score for g in two_pass], abs=5e-3)  # bf16 vs fp32
    assert [g.probability for g in one_pass] == pytest.approx([g.probability for g in two_pass], abs=5e-3)
