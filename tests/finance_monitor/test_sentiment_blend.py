"""The shipped sentiment score: a real (tiny) fine-tuned model blended with its TF-IDF baseline and the lexicon."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from finance_monitor import ingest, sentiment_blend
from finance_monitor.sentiment_blend import (
    BlendedSentimentScorer,
    blend_path,
    fit_and_save,
    load_blend,
    load_sentiment_scorer,
)
from finance_monitor.sources.base import RawItem
from finance_monitor.store import ScoreRow
from tests.finance_monitor.conftest import T0


@pytest.fixture
def tiny_model(fpb, monkeypatch):
    """A head-only fine-tune on 90 FPB sentences; the blend is fitted on 60 other dev and 60 test rows."""
    from shared.api import finetune
    from shared.config import TrainConfig

    small = pd.concat([g.sample(30, random_state=0) for _, g in fpb.groupby("label")])
    rest = fpb.drop(small.index)
    dev = pd.concat([g.sample(20, random_state=1) for _, g in rest.groupby("label")])
    test = pd.concat([g.sample(20, random_state=2) for _, g in rest.drop(dev.index).groupby("label")])
    monkeypatch.setattr(sentiment_blend, "fpb_splits", lambda data_dir=None: (small, dev, test))
    res = finetune(small, task="classification", name="fin-sentiment", model="minilm", method="head",
                   config=TrainConfig(epochs=3, progress=False))
    return res.version, dev, test


def test_fit_and_save_chooses_on_dev_and_never_loses_there(tiny_model):
    version, dev, test = tiny_model
    record = fit_and_save("fin-sentiment")
    assert record["version"] == version and record["n_dev"] == len(dev) and record["n_test"] == len(test)
    assert record["blend"]["names"] == ["model", "tfidf", "lexicon"]
    assert record["dev_accuracy"] >= record["dev_accuracy_model"]  # a zero weight is always on the grid
    assert json.loads(blend_path("fin-sentiment", version).read_text()) == record
    assert load_blend("fin-sentiment", version).to_dict() == record["blend"]


def test_the_monitor_serves_the_stored_blend_and_a_new_blend_rescores(tiny_model, store):
    from finance_monitor.monitor import Monitor
    from shared.blend import Blend

    version, _, _ = tiny_model
    texts = ["Operating profit rose to EUR 13.1 mn", "Shares plunge after a profit warning and heavy losses"]
    ingest.ingest_items(store, None, [RawItem(t, published_at=T0) for t in texts], T0)
    alone = load_sentiment_scorer("fin-sentiment")  # no blend fitted yet: the model serves alone
    assert not isinstance(alone, BlendedSentimentScorer) and alone.version == version

    monitor = Monitor(store, scorers=lambda st: [load_sentiment_scorer("fin-sentiment")])
    blend = Blend(("model", "tfidf", "lexicon"), (1.0, 1.0, 0.5))
    blend_path("fin-sentiment", version).write_text(json.dumps({"blend": blend.to_dict()}))
    scorer = monitor.scorers()[0]
    assert isinstance(scorer, BlendedSentimentScorer) and scorer.version == f"{version}+blend-{blend.digest}"
    # the blended probabilities are the normalised weighted product of the three signals, computed apart
    signals = scorer.signals.probas(texts)
    expected = signals["model"] * signals["tfidf"] * np.sqrt(signals["lexicon"])
    expected /= expected.sum(1, keepdims=True)
    got = np.array([[s.probs[label] for label in scorer.base.labels] for s in scorer.score(texts)])
    assert got == pytest.approx(expected, abs=1e-6)

    monitor.score(T0)
    blend2 = Blend(("model", "tfidf", "lexicon"), (1.0, 0.0, 1.5))
    blend_path("fin-sentiment", version).write_text(json.dumps({"blend": blend2.to_dict()}))
    monitor.score(T0)  # the fingerprint sees the new blend: every item is scored again under its version
    with store.session() as s:
        versions = sorted({r.model_version for r in s.scalars(select(ScoreRow).where(ScoreRow.kind == "sentiment"))})
    assert versions == sorted([f"{version}+blend-{blend.digest}", f"{version}+blend-{blend2.digest}"])
