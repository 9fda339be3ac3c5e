"""Does the default win? `finetune` with no flags (`--method auto`) against TF-IDF + logistic regression and
against the best hand-tuned recipe, on the same splits, in one run per data set.

- TF-IDF + LR: the baseline the pipeline itself trains beside every fine-tune (same training split).
- default: `finetune(data, name=...)` with nothing else set (progress bar off).
- hand-tuned: the best recipe of the sweeps in docs/benchmarks.md for FPB and Banking77; for TREC, which
  the sweeps never saw, the recipe of the nearest swept set (TREC-6: FPB's, few labels and short texts;
  TREC-50: Banking77's, many labels) with patience 3, as a careful user would carry it over.
Protocols (data README): FPB stratified 80/10/10 seed 42; Banking77 and TREC published train/test with dev
carved from train (10 %, stratified, seed 42).

    nice -n 10 python bench/defaults.py --datasets trec6 --json trec6.json      # cheapest first
    nice -n 10 python bench/defaults.py --datasets trec50 fpb banking77
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.config import OptimConfig, TrainConfig

# The hand-tuned recipes: (lr, batch, head multiplier, epochs, patience).
HAND = {"fpb": (5e-5, 16, 20.0, 6, 3),          # docs: FPB 0.837
        "banking77": (1e-4, 32, 20.0, 8, 3),    # docs: Banking77 0.933
        "trec6": (5e-5, 16, 20.0, 6, 3),
        "trec50": (1e-4, 16, 20.0, 8, 3)}


# MPNet's best recipes in docs/benchmarks.md (FPB 0.856, Banking77 0.941); TREC: carried over as for MiniLM.
HAND_MPNET = {"fpb": (3e-5, 16, 20.0, 4, 2), "banking77": (5e-5, 32, 20.0, 5, 2),
              "trec6": (3e-5, 16, 20.0, 4, 2), "trec50": (5e-5, 16, 20.0, 5, 2)}


def splits(name: str, data_dir: str) -> tuple[Any, Any, Any]:
    from shared.data.splits import stratified_split
    from shared.datasets import load_banking77, load_financial_phrasebank, load_trec

    if name == "fpb":
        return stratified_split(load_financial_phrasebank(data_dir), "label", seed=42)
    if name == "banking77":
        train_full, test = load_banking77(data_dir)
    else:
        train_full, test = load_trec(data_dir, "coarse" if name == "trec6" else "fine")
    train, dev, _ = stratified_split(train_full, "label", fractions=(0.9, 0.1, 0.0), seed=42)
    return train, dev, test


def run_one(name: str, args: argparse.Namespace) -> dict[str, Any]:
    from shared.api import finetune
    from shared.registry import Registry

    train, dev, test = splits(name, args.data_dir)
    if args.limit:  # a quick path (bench/gpu.sh's CPU fallback): a seeded sample of each split
        train, dev, test = (f.sample(n=min(len(f), n), random_state=42).reset_index(drop=True)
                            for f, n in ((train, args.limit), (dev, args.limit // 4), (test, args.limit // 4)))
    # Test rows whose label never occurs in training cannot be scored by any classifier trained on it.
    unseen = ~test["label"].isin(set(train["label"]))
    test = test[~unseen].reset_index(drop=True)
    out: dict[str, Any] = {"sizes": [len(train), len(dev), len(test)], "test_rows_with_unseen_label": int(unseen.sum()),
                           "labels": int(train["label"].nunique())}
    print(f"{name}: train/dev/test {len(train)}/{len(dev)}/{len(test)}, {out['labels']} labels"
          + (f" ({int(unseen.sum())} test rows dropped: label unseen in training)" if unseen.any() else ""),
          flush=True)
    with tempfile.TemporaryDirectory() as reg:
        registry = Registry(reg)
        started = time.perf_counter()
        pinned = ["epochs"] if args.epochs else []
        res = finetune(None, name=f"{name}-default", splits=(train, dev, test), model=args.model, registry=registry,
                       config=TrainConfig(progress=False, epochs=args.epochs or 3), pinned=pinned)
        card = res.card
        out["default"] = {"accuracy": card.metrics["accuracy"], "macro_f1": card.metrics["macro_f1"],
                          "dev_accuracy": card.metrics.get("dev_accuracy"), "recipe": card.training["recipe"],
                          "epochs_run": card.training["epochs_run"], "best_epoch": card.training["best_epoch"],
                          "seconds": round(time.perf_counter() - started, 1), "promoted": res.promoted}
        out["tfidf_lr"] = card.metrics["baseline"]
        print(f"  default  acc {card.metrics['accuracy']:.4f} (dev {card.metrics.get('dev_accuracy')}), "
              f"TF-IDF+LR {out['tfidf_lr']['accuracy']:.4f}, {out['default']['seconds']:.0f} s, "
              f"recipe {card.training['recipe']['used']}", flush=True)
        if not args.skip_hand:
            lr, batch, head, epochs, patience = (HAND_MPNET if args.model == "mpnet" else HAND)[name]
            epochs = args.epochs or epochs
            started = time.perf_counter()
            cfg = TrainConfig(epochs=epochs, patience=patience, progress=False,
                              optim=OptimConfig(lr=lr, batch_size=batch, head_lr_multiplier=head))
            hand = finetune(None, name=f"{name}-hand", splits=(train, dev, test), model=args.model, method="full",
                            registry=registry, config=cfg)
            out["hand"] = {"accuracy": hand.card.metrics["accuracy"], "macro_f1": hand.card.metrics["macro_f1"],
                           "dev_accuracy": hand.card.metrics.get("dev_accuracy"),
                           "recipe": {"method": "full", "lr": lr, "batch_size": batch, "head_lr_multiplier": head,
                                      "epochs": epochs, "patience": patience},
                           "epochs_run": hand.card.training["epochs_run"], "best_epoch": hand.card.training["best_epoch"],
                           "seconds": round(time.perf_counter() - started, 1)}
            print(f"  hand     acc {out['hand']['accuracy']:.4f} (dev {out['hand']['dev_accuracy']}), "
                  f"{out['hand']['seconds']:.0f} s", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.environ.get("VERTICALS_DATA"))
    p.add_argument("--datasets", nargs="+", default=["trec6", "trec50", "fpb", "banking77"], choices=list(HAND))
    p.add_argument("--model", default="minilm")
    p.add_argument("--skip-hand", action="store_true", help="Only the default and TF-IDF + LR.")
    p.add_argument("--json", type=Path, help="Write the raw results here.")
    p.add_argument("--limit", type=int, default=0, help="Train on N rows (dev and test N/4): a quick check only.")
    p.add_argument("--epochs", type=int, default=0, help="Pin the epochs of both runs (0: the recipes').")
    args = p.parse_args()
    if not args.data_dir:
        p.error("give --data-dir or set VERTICALS_DATA")
    logging.basicConfig(level=logging.WARNING)
    results = {}
    for name in args.datasets:
        results[name] = run_one(name, args)
        if args.json:  # after each set: a long run that is stopped keeps what it measured
            args.json.write_text(json.dumps(results, indent=2))
    print(f"\n{'data set':<10}{'TF-IDF+LR':>11}{'default':>10}{'hand':>10}{'def-TFIDF':>11}{'def-hand':>10}")
    for name, r in results.items():
        hand = r.get("hand", {}).get("accuracy")
        print(f"{name:<10}{r['tfidf_lr']['accuracy']:>11.4f}{r['default']['accuracy']:>10.4f}"
              f"{hand if hand is not None else float('nan'):>10.4f}"
              f"{r['default']['accuracy'] - r['tfidf_lr']['accuracy']:>+11.4f}"
              f"{(r['default']['accuracy'] - hand) if hand is not None else float('nan'):>+10.4f}")


if __name__ == "__main__":
    main()
