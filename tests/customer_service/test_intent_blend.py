"""The intent blend: lexical and nearest-example votes beside the classifier, weights chosen on dev,
the lexical model's disk cache, and the wiring through nearest-example confidence with the real MiniLM."""

from __future__ import annotations

import numpy as np
import pytest

from customer_service import intent_blend
from customer_service.errors import NoTrainingDataError, SettingsError
from customer_service.intent_blend import (
    BlendWeights,
    LexicalIntents,
    blend_scores,
    choose_weights,
    example_label_index,
    lexical_model,
    neighbour_proba,
)
from customer_service.intent_confidence import with_confidence
from customer_service.intents import IntentGuess
from customer_service.settings import WorkspaceSettings

EXAMPLES = {
    "card_arrival": ["Where is my new card?", "My card has not arrived yet", "When will my card come?",
                     "card still not delivered"],
    "request_refund": ["I want my money back", "Please refund my purchase", "How do I get a refund?",
                       "refund the payment please"],
}
TEXTS = [t for texts in EXAMPLES.values() for t in texts]
LABELS = [label for label, texts in EXAMPLES.items() for _ in texts]


class LeaningModel:
    """A classifier that always leans, mildly, to `request_refund`: a systematic error a vote can fix."""

    labels = sorted(EXAMPLES)

    def predict(self, texts):
        return [IntentGuess("request_refund", 0.6) for _ in texts]

    def predict_proba(self, texts):
        return np.tile([0.4, 0.6], (len(texts), 1))


def test_neighbour_vote_is_each_intents_best_cosine_softmaxed():
    sims = np.array([[0.9, 0.2, 0.5, 0.3]])
    labels = np.array([0, 0, 1, -1])  # the last example's intent is unknown to the classifier: ignored
    p = neighbour_proba(sims, labels, 2, temperature=0.1)
    assert p.shape == (1, 2) and p.sum() == pytest.approx(1.0)
    assert p[0, 0] / p[0, 1] == pytest.approx(np.exp((0.9 - 0.5) / 0.1))


def test_weights_chosen_on_dev_fix_a_systematic_error_and_prefer_the_classifier_on_ties():
    gold = np.array([0, 0, 1, 1])
    classifier = np.tile([0.45, 0.55], (4, 1))  # always class 1: half right
    lexical = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])  # always right
    neighbours = np.full((4, 2), 0.5)           # no information
    weights, accuracy = choose_weights(classifier, lexical, neighbours, gold)
    assert accuracy == 1.0 and weights.lexical > 0 and weights.neighbours == 0
    weights, accuracy = choose_weights(lexical, classifier, neighbours, gold)  # nothing to gain: no blend
    assert accuracy == 1.0 and not weights.active
    assert np.array_equal(blend_scores(classifier, lexical, None, BlendWeights()).argmax(1), [1, 1, 1, 1])


def test_lexical_model_orders_columns_by_the_classifiers_labels_and_is_cached(tmp_path, monkeypatch):
    model = lexical_model(TEXTS, LABELS, tmp_path)
    p = model.predict_proba(["my refund please", "has my card arrived"], ["request_refund", "unknown", "card_arrival"])
    assert p.shape == (2, 3) and p[0].argmax() == 0 and p[1].argmax() == 2 and p[:, 1].max() < 1e-6
    fits = []
    monkeypatch.setattr(intent_blend.LexicalIntents, "__init__", lambda self, *a, **k: fits.append(1))
    again = lexical_model(TEXTS, LABELS, tmp_path)
    assert fits == [] and again.labels == model.labels  # read from disk, not refitted
    lexical_model(TEXTS[:-1], LABELS[:-1], tmp_path)
    assert fits == [1]  # other training data: another cache entry


def test_bad_blend_input_is_refused_clearly():
    with pytest.raises(SettingsError, match="Blend weights"):
        BlendWeights(lexical=-1)
    with pytest.raises(SettingsError, match="Blend weights"):
        WorkspaceSettings(intent_neighbour_weight=-0.5)
    with pytest.raises(NoTrainingDataError, match="at least two labels"):
        LexicalIntents(["a", "b"], ["x", "x"])
    assert list(example_label_index(["b", "zz", "a"], ["a", "b"])) == [1, -1, 0]


def test_blend_through_nearest_confidence_flips_the_label_and_keeps_the_cosine_score(encoder, tmp_path):
    plain = with_confidence(LeaningModel(), "nearest", encoder, TEXTS, example_labels=LABELS)
    blended = with_confidence(LeaningModel(), "nearest", encoder, TEXTS, cache=tmp_path, example_labels=LABELS,
                              blend=BlendWeights(lexical=1.0, neighbours=1.0))
    text = "When will my card come?"
    before, after = plain.predict([text])[0], blended.predict([text])[0]
    assert before.label == "request_refund" and after.label == "card_arrival"
    assert after.score == pytest.approx(before.score) == pytest.approx(1.0, abs=1e-5)
    assert after.probability == pytest.approx(0.4)  # the classifier's own probability of the chosen label
    refund = blended.predict(["Please refund my purchase"])[0]
    assert refund.label == "request_refund"


def test_a_planted_cache_file_never_runs_code(tmp_path):
    import pickle
    from pathlib import Path

    class Planted:
        def __reduce__(self):
            return (Path.write_text, (tmp_path / "code-ran", "ran"))

    lexical_model(TEXTS, LABELS, tmp_path)
    (cached,) = tmp_path.glob("lexical-*")  # whatever the cache format, replace its one file
    cached.write_bytes(pickle.dumps(Planted()))
    model = lexical_model(TEXTS, LABELS, tmp_path)
    assert not (tmp_path / "code-ran").exists()
    assert model.predict_proba(["my refund please"], ["request_refund", "card_arrival"])[0].argmax() == 0
