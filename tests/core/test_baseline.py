"""The TF-IDF + logistic regression baseline: same predictions as scikit-learn, stored safely, and the
registry's promotion gate built on it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from shared.card import ModelCard
from shared.errors import PromotionRefused, RegistryError
from shared.registry import Registry
from shared.tasks.classification.baseline import (
    TfidfBaseline,
    comparison,
    evaluate_baseline,
    format_comparison,
    loses_to_baseline,
    short_comparison,
)

TEXTS = ["profit rose sharply", "shares fell on weak earnings", "the referee stopped the match",
         "a late goal won the league", "dividend raised again", "coach praises striker", "revenue beat forecasts",
         "stadium sold out for the final", "quarterly loss widens", "keeper saves penalty"]
THREE = [0, 1, 2, 2, 0, 2, 0, 2, 1, 2]
TWO = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1]
NEW = ["profit and revenue up", "penalty in the final match", "weak quarter, loss widens", "unseen words only"]


@pytest.mark.parametrize("labels", [THREE, TWO], ids=["three-class", "binary"])
def test_predictions_equal_sklearn_pipeline(labels, tmp_path):
    """The stored baseline predicts exactly what the fitted scikit-learn pipeline predicts (the oracle)."""
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    oracle = LogisticRegression(max_iter=2000, C=10.0, random_state=42).fit(vec.fit_transform(TEXTS), labels)
    expected = oracle.decision_function(vec.transform(NEW))
    base = TfidfBaseline.fit(TEXTS, labels, n_classes=len(set(labels)))
    got = base.scores(NEW)
    if len(set(labels)) == 2:  # binary: sklearn's one score is class 1 minus class 0
        got = got[:, 1] - got[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    base.save(tmp_path)
    loaded = TfidfBaseline.load(tmp_path)
    assert loaded is not None
    np.testing.assert_array_equal(loaded.predict(NEW), base.predict(NEW))
    assert json.loads((tmp_path / "baseline.json").read_text())["name"] == "tfidf+logreg"


def test_missing_baseline_loads_as_none(tmp_path):
    assert TfidfBaseline.load(tmp_path) is None


def test_evaluation_comparison_and_report():
    base = TfidfBaseline.fit(TEXTS, THREE, n_classes=3)
    measured = evaluate_baseline(base, (TEXTS[:4], THREE[:4]), (TEXTS, THREE))
    assert measured["accuracy"] == 1.0 and measured["dev_accuracy"] == 1.0  # it has seen these rows
    assert measured["dev_n"] == 4
    small_dev = {"accuracy": 0.9, "macro_f1": 0.8, "dev_accuracy": 0.75, "baseline": measured}
    assert loses_to_baseline(small_dev) is None  # 4 dev rows: too few to hold a model back on
    metrics = {**small_dev, "baseline": {**measured, "dev_n": 50}}
    assert comparison(metrics) == {"accuracy": pytest.approx(-0.1), "macro_f1": pytest.approx(-0.2),
                                   "dev_accuracy": pytest.approx(-0.25)}
    assert "below the TF-IDF + logistic regression baseline's 1.000" in loses_to_baseline(metrics)
    text = format_comparison(metrics)
    assert "difference" in text and "-0.250" in text and "-0.100" in text
    assert short_comparison(metrics) == "vs TF-IDF+LR -0.100 test, -0.250 dev"
    assert loses_to_baseline({**metrics, "dev_accuracy": 1.0}) is None  # a tie is not a loss
    assert loses_to_baseline({"accuracy": 0.1}) is None                 # nothing measured on dev


def _add(registry: Registry, dev: float, base_dev: float, promote: bool = True, force: bool = False) -> str:
    card = ModelCard(name="m", task="classification", base_model="minilm", method="full",
                     metrics={"accuracy": dev, "dev_accuracy": dev,
                              "baseline": {"model": "tfidf+logreg", "dev_accuracy": base_dev, "dev_n": 200}})
    with registry.staging("m") as staged:
        (staged / "weights.bin").write_bytes(b"x")
        return registry.add("m", staged, card, promote=promote, force=force)


def test_registry_saves_but_does_not_promote_a_loser(tmp_path):
    registry = Registry(tmp_path)
    assert _add(registry, dev=0.90, base_dev=0.85) == "v0001"
    assert registry.current_version("m") == "v0001"
    assert _add(registry, dev=0.80, base_dev=0.85) == "v0002"      # saved ...
    assert registry.current_version("m") == "v0001"                 # ... not made current
    assert registry.versions("m") == ["v0001", "v0002"]
    with pytest.raises(PromotionRefused, match=r"m v0002: dev accuracy 0.800 is below .* 0.850.*--force"):
        registry.promote("m", "v0002")
    assert registry.current_version("m") == "v0001"
    registry.promote("m", "v0002", force=True)
    assert registry.current_version("m") == "v0002"
    assert _add(registry, dev=0.70, base_dev=0.85, force=True) == "v0003"
    assert registry.current_version("m") == "v0003"


def test_a_first_version_that_loses_leaves_no_current_model(tmp_path):
    registry = Registry(tmp_path)
    _add(registry, dev=0.5, base_dev=0.9)
    with pytest.raises(RegistryError, match="no current version"):
        registry.current_version("m")
