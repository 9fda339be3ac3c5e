"""Training the monitor's models through the core: sentiment on Financial PhraseBank, topic on R8, and the
ORG/PER tagger `fin-ner` on FiNER (SEC filings) + Wikigold (Wikipedia, closer to news prose).

Both go to the core's registry under fixed names; scoring always uses the registry's current
version, so promoting a better model and re-scoring history is one `monitor rescore`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from finance_monitor.settings import ModelSettings

log = logging.getLogger(__name__)
# The monitor ships its most accurate sentiment recipe: full MiniLM fine-tuning (FPB test 0.837 vs head-only
# 0.773 and TF-IDF + LR 0.777) in its own encoder pass beside the shared pass of the NER tagger, the topic
# model and the user topics. bench/finance_monitor.py measures both in one run: with NER the step is 0.40x
# one pass (projected ~180 items/s idle on 2 cores, under the 200 target); `--method head` (+ its blend,
# FPB 0.806) keeps everything on one pass (0.85x). The topic model stays head-only: R8 0.970.
SENTIMENT_METHOD = "full"
TOPIC_METHOD = "head"
NER_METHOD = "head"  # head-only: the tagger reads the topic model's encoder pass (the scoring step stays one pass)
DEMO_METHOD = TOPIC_METHOD  # the fast recipe, for tests and `--method head`


def sentiment_config(method: str) -> Any:
    from shared.config import OptimConfig, TrainConfig

    if method == "head":  # the same recipe the core demo uses for fin-sentiment
        return TrainConfig(epochs=40, patience=5, progress=False)
    # The recipe bench/quality.py measured best on FPB (test 0.837): the new head gets 20x the encoder's step.
    return TrainConfig(epochs=6, patience=3, max_length=96, progress=False,
                       optim=OptimConfig(lr=5e-5, batch_size=16, head_lr_multiplier=20))


def topic_config(method: str) -> Any:
    from shared.config import TrainConfig

    if method == "head":
        return TrainConfig(epochs=40, patience=5, max_length=128, progress=False)
    return TrainConfig(epochs=3, patience=1, max_length=128, progress=False)


def r8_splits(seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """R8's published train/test split; dev is a stratified 10% of train."""
    from sklearn.model_selection import train_test_split

    from shared.datasets.reuters_r8 import load_reuters_r8

    train, test = load_reuters_r8()
    tr, dev = train_test_split(train, test_size=0.1, stratify=train["label"], random_state=seed)
    return tr.reset_index(drop=True), dev.reset_index(drop=True), test


def train_sentiment(method: str = SENTIMENT_METHOD, data_dir: Path | None = None, registry: Any = None,
                    name: str | None = None, config: Any = None) -> Any:
    from shared.api import finetune
    from shared.datasets import load_financial_phrasebank

    return finetune(load_financial_phrasebank(data_dir), task="classification",
                    name=name or ModelSettings().sentiment_model, model="minilm", method=method,
                    config=config or sentiment_config(method), registry=registry)


def train_topic(method: str = TOPIC_METHOD, registry: Any = None, name: str | None = None,
                config: Any = None) -> Any:
    from shared.api import finetune

    return finetune(None, task="classification", name=name or ModelSettings().topic_model, model="minilm",
                    method=method, config=config or topic_config(method), splits=r8_splits(), registry=registry)


def ner_config(method: str) -> Any:
    from shared.config import OptimConfig, TrainConfig

    if method == "head":  # the encoder runs once; each epoch is a pass of the head over cached token states
        return TrainConfig(epochs=20, patience=4, progress=False, optim=OptimConfig(batch_size=256))
    return TrainConfig(epochs=4, patience=2, progress=False,
                       optim=OptimConfig(lr=1e-4, batch_size=16, head_lr_multiplier=10))


def ner_splits(data_dir: Path | None = None, seed: int = 42) -> tuple[list, list, list]:
    """FiNER train (90%) + all of Wikigold to train; dev: the other 10% of FiNER train; test: FiNER test."""
    from shared.paths import data_dir as resolve_data_dir
    from shared.tasks.token_classification.data import read_sentences, split_sentences

    folder = resolve_data_dir(data_dir)
    train, dev = split_sentences(read_sentences(folder / "finer_sec" / "train.conll"), (0.9, 0.1), seed)
    wiki = read_sentences(folder / "wikigold" / "wikigold.conll")
    return train + wiki, dev, read_sentences(folder / "finer_sec" / "test.conll")


def train_ner(method: str = NER_METHOD, data_dir: Path | None = None, registry: Any = None,
              name: str | None = None, config: Any = None) -> Any:
    """Head-only by default: the scoring step then reads the NER tags off the classifiers' encoder pass."""
    from shared.api import finetune

    return finetune(None, task="token-classification", name=name or ModelSettings().ner_model, model="minilm",
                    method=method, config=config or ner_config(method), splits=ner_splits(data_dir),
                    registry=registry)


def ensure_models(method: str | None = None, data_dir: Path | None = None, settings: ModelSettings | None = None,
                  retrain: bool = False, blend: bool = True) -> dict[str, str]:
    """Train whichever of the three models the registry lacks; returns {name: current version}.

    `method` None: each model's shipped recipe (SENTIMENT_METHOD, TOPIC_METHOD, NER_METHOD); else all use `method`.
    `blend`: fit the current sentiment model's blend with its TF-IDF baseline and the lexicon on FPB dev (the
    shipped score, `sentiment_blend.py`) unless it has one.
    """
    from shared.errors import RegistryError
    from shared.registry import Registry

    settings = settings or ModelSettings()
    registry = Registry()

    def missing(name: str) -> bool:  # registered but held back (below its baseline) counts as missing
        try:
            registry.current_version(name)
        except RegistryError:
            return True
        return False

    if retrain or missing(settings.sentiment_model):
        res = train_sentiment(method or SENTIMENT_METHOD, data_dir, registry, settings.sentiment_model)
        keep_serving(registry, settings.sentiment_model, res)
    if retrain or missing(settings.topic_model):
        res = train_topic(method or TOPIC_METHOD, registry, settings.topic_model)
        keep_serving(registry, settings.topic_model, res)
    if retrain or missing(settings.ner_model):
        train_ner(method or NER_METHOD, data_dir, registry, settings.ner_model)
    if blend:
        ensure_sentiment_blend(settings.sentiment_model, data_dir, registry)
    return {n: registry.current_version(n)
            for n in (settings.sentiment_model, settings.topic_model, settings.ner_model)}


def ensure_sentiment_blend(name: str, data_dir: Path | None = None, registry: Any = None) -> None:
    """Fit the blend of the current version of `name` once (a second call finds it stored)."""
    from finance_monitor.sentiment_blend import blend_path, fit_and_save

    version = registry.current_version(name)
    if not blend_path(name, version).exists():
        fit_and_save(name, version, data_dir, registry)


def keep_serving(registry: Any, name: str, result: Any) -> None:
    """A fresh version the registry held back (below its TF-IDF baseline on dev) stays unpromoted while an
    earlier version serves; with none to serve, the monitor promotes it, loudly, rather than stop scoring."""
    from shared.errors import RegistryError

    if result.not_promoted_because is None:
        return
    try:
        current = registry.current_version(name)
    except RegistryError:
        registry.promote(name, result.version, force=True)
        log.warning("%s %s serves although %s: no earlier version to fall back on. Retrain it with another "
                    "method (`verticals monitor prepare --retrain --method full`).", name, result.version,
                    result.not_promoted_because)
    else:
        log.warning("%s %s was held back (%s); %s keeps serving.", name, result.version,
                    result.not_promoted_because, current)
