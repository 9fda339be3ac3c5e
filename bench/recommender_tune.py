"""Ranker settings chosen on validation folds only: the real test window is never looked at.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/recommender_tune.py [--folds 3]

Fold k holds out the k-th 10% slice of events (by time) *before* the test window, trains on what
precedes it exactly as `recommender.pipeline.train` does (base text encoder, ranker label windows of
the same size before it), and scores popularity and each ranker setting on that slice. Prints NDCG@10
per fold, the mean, and the ratio to popularity. With ~80-95 users per slice, differences of ~0.01
are noise: prefer the setting that wins on every fold.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# name -> (Ranker kwargs, label windows)
VARIANTS = {
    "previous: 7 leaves, 200 trees, 3 windows": ({"num_leaves": 7, "n_estimators": 200}, 3),
    "3 leaves, 200 trees, 3 windows": ({"num_leaves": 3, "n_estimators": 200}, 3),
    "2 leaves, 300 trees, 3 windows": ({"num_leaves": 2, "n_estimators": 300}, 3),
    "3 leaves, 200 trees, 4 windows": ({"num_leaves": 3, "n_estimators": 200}, 4),
    "chosen: 2 leaves, 300 trees, 4 windows": ({"num_leaves": 2, "n_estimators": 300}, 4),
}


def fold_data(data, k: int):
    """Events before the k-th 10% slice preceding the test window; fractions that end on that slice."""
    from recommender.data import Dataset

    ts = np.sort(data.interactions["timestamp"].to_numpy())
    end = int(ts[int(len(ts) * (1 - 0.1 * k))])
    inner = data.interactions[data.interactions["timestamp"] < end].reset_index(drop=True)
    share = 0.1 / (1 - 0.1 * k)
    return Dataset(inner, data.items, data.report), (1 - 2 * share, share, share)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=3)
    args = ap.parse_args()

    import pandas as pd

    from recommender.ann import ItemIndex
    from recommender.config import TextTrainConfig
    from recommender.data import movielens_dataset
    from recommender.evaluation import evaluate_methods
    from recommender.pipeline import TrainSettings, fit_signals, ranker_data, ranker_windows
    from recommender.ranker import Ranker
    from recommender.service import Recommender
    from recommender.split import temporal_split
    from recommender.text_model import TextInterestModel, load_base_model

    t0 = time.perf_counter()
    data = movielens_dataset()
    encoder = TextInterestModel(load_base_model())
    vectors = encoder.encode(data.items["text"].tolist())
    index = ItemIndex(vectors.shape[1], "flat")
    index.add(vectors, np.arange(len(vectors)))
    item_pos = {i: k for k, i in enumerate(data.items["item_id"])}
    most = max(w for _, w in VARIANTS.values())
    scores: dict[str, list[float]] = {}
    for k in range(1, args.folds + 1):
        fdata, fractions = fold_data(data, k)
        settings = TrainSettings(fractions=fractions, ranker_windows=most, text=TextTrainConfig(max_pairs=0))
        split = temporal_split(fdata.interactions, fractions=fractions)
        windows = ranker_windows(fdata.interactions, split, settings)
        print(f"fold {k}: {len(windows)} label windows ...", file=sys.stderr, flush=True)
        parts = [ranker_data(fdata.interactions, data.items, vectors, index, encoder, [w], settings,
                             progress=lambda s: None) for w in windows]
        history = pd.concat([split.train, split.val], ignore_index=True)
        rec = Recommender(data.items, vectors, encoder,
                          fit_signals(history, item_pos, len(vectors), split.test_start, settings.als_factors),
                          history=history, index=index, candidates=settings.candidates,
                          history_len=settings.text.history_len, test=split.test)
        rec.precompute_user_vectors()
        base = evaluate_methods(rec, ["popularity"])["popularity"]
        scores.setdefault("popularity", []).append(base["ndcg@10"])
        for name, (params, n_windows) in VARIANTS.items():
            use = parts[-n_windows:]
            rec.ranker = Ranker(**params).fit(np.vstack([p[0] for p in use]), np.concatenate([p[1] for p in use]),
                                              [g for p in use for g in p[2]])
            scores.setdefault(name, []).append(evaluate_methods(rec, ["blended"])["blended"]["ndcg@10"])
        print(f"fold {k}: {base['users']} users, " + ", ".join(f"{n.split(':')[0]} {v[-1]:.4f}"
                                                            for n, v in scores.items()), file=sys.stderr, flush=True)

    pop = scores["popularity"]
    print(f"\nValidation folds (NDCG@10 of the blended ranker; the test window is not used), {args.folds} folds")
    print(f"{'setting':<42}" + "".join(f"{'fold ' + str(k):>9}" for k in range(1, args.folds + 1))
          + f"{'mean':>9}{'x pop':>8}{'worst x pop':>13}")
    for name, v in scores.items():
        print(f"{name:<42}" + "".join(f"{x:>9.4f}" for x in v) + f"{np.mean(v):>9.4f}"
              f"{np.mean(v) / np.mean(pop):>8.2f}{min(a / b for a, b in zip(v, pop)):>13.2f}")
    print(f"total {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
