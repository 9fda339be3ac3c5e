"""Training orchestration: split by time → text model → behaviour signals → ranker → service.

Windows (no model ever sees an interaction from after the period it is evaluated on):
- text model and candidate signals for ranker training: train window (t < val_start)
- ranker labels: validation window (val_start <= t < test_start)
- served signals and histories: train + validation (t < test_start); offline metrics: test window.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.ann import ItemIndex
from recommender.candidates import Signals, UserContext, generate
from recommender.collaborative import ALS, Cooccurrence, Popularity, user_item_matrix
from recommender.config import CandidateConfig, TextTrainConfig
from recommender.data import Dataset
from recommender.errors import RecConfigError, RecDataError
from recommender.evaluation import text_only_ndcg
from recommender.ranker import Ranker
from recommender.service import Recommender
from recommender.split import TemporalSplit, temporal_split
from recommender.text_model import (
    TextInterestModel,
    build_pairs,
    finetune,
    finetune_with_core,
    load_base_model,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainSettings:
    fractions: tuple[float, float, float] = field(default=(0.8, 0.1, 0.1), metadata={
        "help": "train / validation / test shares of the events, split by time"})
    ranker_windows: int = field(default=4, metadata={
        "help": "label windows for the ranker: the validation window plus earlier ones of the same size"})
    text: TextTrainConfig = field(default_factory=TextTrainConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    als_factors: int = 64
    base_model: str = "minilm"
    register_as: str | None = field(default=None, metadata={
        "help": "fine-tune through the core's embedding task and register the text model under this name; "
                "None = a local loop, nothing registered"})

    def __post_init__(self) -> None:
        if not isinstance(self.ranker_windows, int) or self.ranker_windows < 1:
            raise RecConfigError(f"ranker_windows must be a positive integer, got {self.ranker_windows!r}.")
        if self.fractions[0] - (self.ranker_windows - 1) * self.fractions[1] <= 0:
            raise RecConfigError(f"{self.ranker_windows} ranker windows of {self.fractions[1]} do not fit "
                                 f"before the validation window of {self.fractions}: use fewer windows.")


def ranker_windows(interactions: pd.DataFrame, split: TemporalSplit, settings: TrainSettings) -> list[tuple[int, int]]:
    """(start, end) label windows, oldest first; the last one is the validation window."""
    ts = np.sort(interactions["timestamp"].to_numpy())
    f_train, f_val, _ = settings.fractions
    bounds = [int(ts[int(len(ts) * (f_train - k * f_val))]) for k in range(settings.ranker_windows - 1, 0, -1)]
    bounds += [split.val_start, split.test_start]
    return list(itertools.pairwise(bounds))


def fit_signals(interactions: pd.DataFrame, item_pos: dict[str, int], n_items: int, now: int,
                als_factors: int = 64) -> Signals:
    matrix, _users = user_item_matrix(interactions, item_pos, n_items)
    return Signals(popularity=Popularity().fit(interactions, item_pos, n_items, now),
                   cooccurrence=Cooccurrence().fit(matrix),
                   als=ALS(factors=als_factors).fit(matrix), now=now)


def ranker_training_set(rec: Recommender, labels: pd.DataFrame
                        ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Candidates of each user with history, labelled 1 if the user took the item in `labels`."""
    X, y, groups = [], [], []
    for user, g in labels.groupby("user_id"):
        if user not in rec.histories.positions:
            continue
        ctx = UserContext(rec.histories.positions[user], rec.histories.weights[user], rec.user_vector(user))
        cands = generate(ctx, rec.signals, rec.index, rec.item_vectors, rec.candidates)
        targets = {rec.item_pos[i] for i in g["item_id"] if i in rec.item_pos}
        lab = np.isin(cands.positions, list(targets)).astype(np.float32)
        if lab.sum() == 0 or lab.sum() == len(lab):
            continue  # no ordering to learn from this user
        X.append(cands.features)
        y.append(lab)
        groups.append(len(lab))
    if not X:
        raise RecDataError("No validation-period user has a next item among the candidates: the ranker "
                           "cannot be trained. Use a longer validation window.")
    return np.vstack(X), np.concatenate(y), groups


def ranker_data(inter: pd.DataFrame, items: pd.DataFrame, vectors: np.ndarray, index: ItemIndex,
                encoder: TextInterestModel, windows: list[tuple[int, int]], settings: TrainSettings,
                progress: Progress = print) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Ranker training rows from every label window, each with signals fitted only before it."""
    item_pos = {i: k for k, i in enumerate(items["item_id"])}
    X, y, groups = [], [], []
    for start, end in windows:
        progress(f"ranker window {_day(start)} .. {_day(end)}: signals from before it, labels inside it ...")
        before = inter[inter["timestamp"] < start]
        labels = inter[(inter["timestamp"] >= start) & (inter["timestamp"] < end)]
        stage = Recommender(items, vectors, encoder,
                            fit_signals(before, item_pos, len(items), start, settings.als_factors),
                            history=before, index=index, candidates=settings.candidates,
                            history_len=settings.text.history_len)
        users = sorted(set(labels["user_id"]) & set(stage.histories.positions))
        stage.user_vectors = dict(zip(users, encoder.encode(
            [stage._history_string(stage.histories.positions[u]) for u in users])))
        try:
            Xw, yw, gw = ranker_training_set(stage, labels)
        except RecDataError:
            continue
        X.append(Xw), y.append(yw), groups.extend(gw)
    if not X:
        raise RecDataError("No ranker window had a user whose next item was among the candidates: "
                           "use longer windows or more candidates.")
    return np.vstack(X), np.concatenate(y), groups


def train(data: Dataset, settings: TrainSettings = TrainSettings(), progress: Progress = print,
          encoder: TextInterestModel | None = None, split: TemporalSplit | None = None) -> Recommender:
    """Fit everything; `encoder` defaults to the packaged base model (fine-tuned unless max_pairs == 0)."""
    t0 = time.perf_counter()
    split = split or temporal_split(data.interactions, fractions=settings.fractions)
    inter = data.interactions
    windows = ranker_windows(inter, split, settings)
    items = data.items
    item_pos = {i: k for k, i in enumerate(items["item_id"])}
    meta: dict[str, object] = {"val_start": split.val_start, "test_start": split.test_start,
                               "ranker_windows": windows, "n_items": len(items),
                               "n_interactions": len(inter), "report": data.report.summary()}

    if encoder is None:
        encoder = TextInterestModel(load_base_model(settings.base_model))
    if settings.text.max_pairs > 0:
        encoder, meta["text_finetune"] = _finetuned_encoder(encoder, inter, items, windows, settings, progress)
    progress(f"embedding {len(items)} items ...")
    vectors = encoder.encode(items["text"].tolist())
    index = ItemIndex(vectors.shape[1], "hnsw" if len(items) > 5000 else "flat")
    index.add(vectors, np.arange(len(items)))

    X, y, groups = ranker_data(inter, items, vectors, index, encoder, windows, settings, progress)
    ranker = Ranker().fit(X, y, groups)
    meta["ranker"] = {"users": len(groups), "rows": len(y), "positives": int(y.sum()),
                      "importance": ranker.importance()}

    progress("refitting behaviour signals on train + validation for serving ...")
    history = pd.concat([split.train, split.val], ignore_index=True)
    signals = fit_signals(history, item_pos, len(items), split.test_start, settings.als_factors)
    rec = Recommender(items, vectors, encoder, signals, history=history, ranker=ranker, index=index,
                      candidates=settings.candidates, history_len=settings.text.history_len,
                      test=split.test, meta=meta)
    rec.precompute_user_vectors()
    meta["train_seconds"] = round(time.perf_counter() - t0, 1)
    progress(f"trained in {meta['train_seconds']} s")
    return rec


def _finetuned_encoder(base: TextInterestModel, inter: pd.DataFrame, items: pd.DataFrame,
                       windows: list[tuple[int, int]], settings: TrainSettings, progress: Progress
                       ) -> tuple[TextInterestModel, dict[str, object]]:
    """Fine-tune a copy of `base`; keep it only if it ranks the validation window better (text only).

    Pairs come only from before the first ranker window: the text score the ranker learns to trust
    must not have been trained on the very items it is labelled with. The check uses the validation
    window (histories before it, labels inside it), never the test window.
    """
    import copy

    texts = dict(zip(items["item_id"], items["text"]))
    pairs = build_pairs(inter[inter["timestamp"] < windows[0][0]], texts, settings.text)
    progress(f"fine-tuning the text model on {len(pairs)} (history, next item) pairs ...")
    if settings.register_as:
        model, info = finetune_with_core(pairs, settings.text, settings.register_as, settings.base_model)
        progress(f"  {info['via']}: held-out pairs {info['test_after']}")
    else:
        model = copy.deepcopy(base.model)
        info = {"via": "local MNRL loop", **finetune(model, pairs, settings.text)}
        progress(f"  loss {info['loss_first']:.3f} -> {info['loss_last']:.3f}")
    tuned = TextInterestModel(model)
    start, end = windows[-1]
    history = inter[inter["timestamp"] < start]
    labels = inter[(inter["timestamp"] >= start) & (inter["timestamp"] < end)]
    before = text_only_ndcg(base, items, history, labels, settings.text.history_len)["ndcg@10"]
    after = text_only_ndcg(tuned, items, history, labels, settings.text.history_len)["ndcg@10"]
    kept = after > before or not settings.text.keep_if_better
    info["validation_text_ndcg@10"] = {"base": round(before, 4), "fine_tuned": round(after, 4), "kept": kept}
    progress(f"  text-only NDCG@10 on the validation window: base {before:.4f}, fine-tuned {after:.4f} -> "
             f"serving the {'fine-tuned' if kept else 'base'} encoder")
    return (tuned if kept else base), info


def _day(ts: int) -> str:
    return pd.Timestamp(ts, unit="s").strftime("%Y-%m-%d")
