"""Scoring: the core's fine-tuned classifier, user topics by example (real MiniLM), lexicon, entities."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from finance_monitor import ingest, queries, scoring
from finance_monitor.entities import EntityMatcher, WatchEntry
from finance_monitor.errors import ModelUnavailableError
from finance_monitor.scoring import ClassifierScorer, ExampleTopicScorer, LexiconScorer, score_pending
from finance_monitor.sources.base import RawItem
from finance_monitor.store import ItemEntityRow, ScoreRow
from tests.finance_monitor.conftest import T0
from tests.finance_monitor.helpers import SklearnClassifier


def test_entities_cashtags_and_watchlist():
    m = EntityMatcher([WatchEntry("BP", "BP", ()), WatchEntry("British Airways", None, ("BA",)),
                       WatchEntry("Apple", "AAPL", ())])
    assert m.find("$AAPL and $MSFT rally; apple pie is unrelated?") == ["$MSFT", "Apple"]
    assert m.find("BA cancels flights as BP profits slide") == ["BP", "British Airways"]
    assert m.find("bp.com reports; Iberia and BAnk stories") == []  # short all-caps aliases are case-sensitive words
    assert m.find("US$5bn deal") == []


def test_lexicon_baseline():
    lex = LexiconScorer()
    neg, pos, neu = lex.score(["Losses widened and the company warned of impairment",
                               "Profit improved strongly, a record achievement", "The meeting is on Tuesday"])
    assert (neg.label, pos.label, neu.label) == ("negative", "positive", "neutral")
    assert neg.value < 0 < pos.value


def test_user_topics_by_example_with_real_minilm(minilm_encoder):
    topics = {"energy": ["Oil prices fall as Opec cuts output", "Gas and crude markets slump"],
              "jobs": ["Firm to cut 2,000 jobs", "Unemployment rises as companies lay off staff"]}
    scorer = ExampleTopicScorer(minilm_encoder, topics, threshold=0.3)
    got = scorer.score(["Brent crude tumbles to a 20-year low", "Retailer axes 1,500 jobs in store closures",
                        "Recipe: a quick lemon tart"])
    assert [g.label for g in got] == ["energy", "jobs", None]
    assert got[0].probs["energy"] > got[0].probs["jobs"]
    changed = ExampleTopicScorer(minilm_encoder, {**topics, "jobs": ["Hiring freeze"]}, threshold=0.3)
    assert changed.version != scorer.version  # editing a topic re-scores history


def test_score_pending_is_idempotent_and_a_new_version_rescores(store, fpb):
    ingest.ingest_items(store, None, [RawItem("Profit jumps on strong sales", published_at=T0),
                                      RawItem("Shares plunge after loss warning", published_at=T0)], T0)
    clf = SklearnClassifier(fpb["text"], fpb["label"])
    v1 = ClassifierScorer("sentiment", "fin-sentiment", "v1", clf)
    assert score_pending(store, v1, T0) == 2 and score_pending(store, v1, T0) == 0
    frame = queries.scored_frame(store)
    assert frame["sentiment_label"].tolist() == ["positive", "negative"]
    assert frame["sentiment"].iloc[0] > 0 > frame["sentiment"].iloc[1]
    v2 = ClassifierScorer("sentiment", "fin-sentiment", "v2", clf)
    assert score_pending(store, v2, T0) == 2  # history re-scored; both versions are kept
    with store.session() as s:
        assert s.scalar(select(func.count(ScoreRow.id))) == 4


def test_entity_tagging_runs_once_per_item_and_retags_after_watchlist_change(store):
    ingest.ingest_items(store, None, [RawItem("Tesco sales rise", published_at=T0), RawItem("$TSCO falls")], T0)
    assert scoring.tag_entities(store, EntityMatcher([WatchEntry("Tesco", "TSCO")])) == 2
    assert scoring.tag_entities(store, EntityMatcher([WatchEntry("Tesco", "TSCO")])) == 0
    ingest.ingest_items(store, None, [RawItem("Tesco and Sainsbury trade update")], T0)
    both = EntityMatcher([WatchEntry("Tesco", "TSCO"), WatchEntry("Sainsbury's", None, ("Sainsbury",))])
    assert scoring.tag_entities(store, both) == 2
    assert scoring.tag_entities(store, both, retag=True) == 4
    with store.session() as s:
        assert sorted(s.scalars(select(ItemEntityRow.entity).where(ItemEntityRow.item_id == 3))) == ["Sainsbury's", "Tesco"]


def test_missing_registry_model_is_one_clear_error():
    with pytest.raises(ModelUnavailableError, match="'fin-sentiment' is not registered yet"):
        scoring.load_classifier_scorer("sentiment", "fin-sentiment")


def test_classifier_fine_tuned_through_the_core_scores_items(store, fpb):
    """A tiny real head-only fine-tune through `shared.api.finetune`, served back by `load_model`."""
    import pandas as pd

    from shared.api import finetune
    from shared.config import TrainConfig

    small = pd.concat([g.sample(30, random_state=0) for _, g in fpb.groupby("label")])
    res = finetune(small, task="classification", name="fin-sentiment", model="minilm", method="head",
                   config=TrainConfig(epochs=5, progress=False))
    scorer = scoring.load_classifier_scorer("sentiment", "fin-sentiment")
    assert scorer.version == res.version and sorted(scorer.labels) == ["negative", "neutral", "positive"]
    ingest.ingest_items(store, None, [RawItem("Operating profit rose to EUR 13.1 mn", published_at=T0)], T0)
    assert score_pending(store, scorer, T0) == 1
    with store.session() as s:
        row = s.scalar(select(ScoreRow))
        assert row.model_version == res.version and row.label in scorer.labels
        assert np.isclose(sum(row.probs.values()), 1.0, atol=1e-4)


def test_monitor_reloads_scorers_after_a_user_topic_edit(store):
    from finance_monitor.monitor import Monitor

    loads = []

    def loader(st):
        loads.append(sorted(scoring.custom_topics(st)))
        return [LexiconScorer()]

    m = Monitor(store, scorers=loader)
    m.scorers()
    m.scorers()
    scoring.set_custom_topic(store, "energy", ["Oil prices fall"])
    m.scorers()
    assert loads == [[], ["energy"]]


def test_monitor_runs_the_encoder_once_per_item_for_all_head_only_scorers(store, fpb, monkeypatch):
    """Sentiment and topic heads plus user topics share one MiniLM pass per item, and score exactly what
    each scorer scores on its own."""
    import pandas as pd

    from finance_monitor.monitor import Monitor
    from shared.api import finetune
    from shared.config import TrainConfig
    from shared.tasks.classification.predictor import ClassifierPredictor

    small = pd.concat([g.sample(20, random_state=0) for _, g in fpb.groupby("label")])
    cfg = TrainConfig(epochs=3, progress=False)
    finetune(small, task="classification", name="fin-sentiment", method="head", config=cfg)
    topics = small.assign(label=small["label"].map({"negative": "bad news", "neutral": "other", "positive": "other"}))
    finetune(topics, task="classification", name="fin-topic", method="head", config=cfg)
    scoring.set_custom_topic(store, "energy", ["Oil prices fall as Opec cuts output"])
    texts = ["Operating profit rose to EUR 13.1 mn", "Brent crude tumbles to a 20-year low",
             "Shares plunge after loss warning"]
    ingest.ingest_items(store, None, [RawItem(t, published_at=T0) for t in texts], T0)

    scorers = scoring.load_scorers(store, with_lexicon=False)
    assert [s.kind for s in scorers] == ["sentiment", "topic", "custom_topic"]
    encoded: list[int] = []
    real = ClassifierPredictor.features
    monkeypatch.setattr(ClassifierPredictor, "features",
                        lambda self, t, batch_size=64: encoded.append(len(t)) or real(self, t, batch_size))
    done = Monitor(store, scorers=scorers).score(T0)
    assert sum(encoded) == len(texts)  # one pass for three scorers
    assert sorted(v for k, v in done.items() if k != "entities") == [3, 3, 3]
    with store.session() as s:
        stored = {(r.kind, r.item_id): r for r in s.scalars(select(ScoreRow))}
    for scorer in scorers:
        for item_id, alone in enumerate(scorer.score(texts), start=1):
            row = stored[(scorer.kind, item_id)]
            assert row.label == alone.label
            assert row.confidence == pytest.approx(alone.confidence, abs=2e-3)  # bf16: batch-dependent rounding
