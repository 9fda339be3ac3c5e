"""Bench the core's token classification on FiNER (SEC filings): MiniLM fine-tuned vs a feature CRF, per type.

Protocol (data README): train on FiNER `train.conll` with a seeded 10% dev carved from it (early stopping on
dev entity F1), report seqeval strict entity P/R/F1 on `test.conll`. The CRF baseline (word-shape, affix and
context features, sklearn-crfsuite) trains on the same train split in the same run. MiniLM is decoded with
BIO-constrained Viterbi and reported twice: alone, and as the core's hybrid (its probabilities mixed with that
CRF's marginals at the model share dev prefers; `--no-hybrid` skips it). Then the same recipe with all of
Wikigold added to the training split (dev and test unchanged: FiNER), to show what general-domain data adds;
the hybrid's CRF always trains on FiNER train alone (`crf_data`).
Optionally (`--ablate-shape`) MiniLM without the word-shape signal, to measure what it buys.

    VERTICALS_DATA=/path/to/data nice -n 10 .venv/bin/python bench/ner.py
    nice -n 10 .venv/bin/python bench/ner.py --runs minilm+wikigold          # one run (the CRF always runs)
    nice -n 10 .venv/bin/python bench/ner.py --epochs 1 --train-limit 100   # a quick smoke run
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.config import OptimConfig, TrainConfig
from shared.registry import Registry
from shared.tasks.token_classification.crf import CrfBaseline
from shared.tasks.token_classification.data import read_sentences, split_sentences
from shared.tasks.token_classification.evaluation import entity_report
from shared.tasks.token_classification.pipeline import run
from shared.tasks.token_classification.tags import label_set


def data_dir(arg: str | None) -> Path:
    folder = Path(arg or os.environ.get("VERTICALS_DATA", ""))
    if not (folder / "finer_sec" / "train.conll").is_file():
        sys.exit(f"FiNER not found under {folder!s}: pass --data DIR or set VERTICALS_DATA.")
    return folder


def fmt(name: str, rep: dict, seconds: float) -> str:
    types = " ".join(f"{k}={v['f1']:.3f}" for k, v in sorted(rep["per_type"].items()))
    return (f"{name:<28} F1 {rep['f1']:.3f}  P {rep['precision']:.3f}  R {rep['recall']:.3f}  | {types}"
            f"  ({seconds:.0f} s)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="The public data folder (default: $VERTICALS_DATA).")
    p.add_argument("--method", default="full")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--head-lr-multiplier", type=float, default=10.0)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--train-limit", type=int, default=None, help="Use only the first N training sentences.")
    p.add_argument("--skip-wikigold", action="store_true")
    p.add_argument("--runs", default="minilm,minilm+wikigold",
                   help="Which MiniLM runs (comma-separated): minilm, minilm+wikigold.")
    p.add_argument("--no-hybrid", action="store_true", help="MiniLM alone only (no mix with the CRF).")
    p.add_argument("--decoding", default="viterbi", choices=("viterbi", "argmax"))
    p.add_argument("--ablate-shape", action="store_true", help="Also train MiniLM without the word-shape signal.")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, default=None, help="Write the figures as JSON here.")
    p.add_argument("--keep", type=Path, default=None, help="Keep the trained models in a registry here "
                   "(default: a temporary one, deleted at the end).")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = data_dir(args.data)
    finer = read_sentences(folder / "finer_sec" / "train.conll")
    test = read_sentences(folder / "finer_sec" / "test.conll")
    train, dev = split_sentences(finer, (0.9, 0.1), args.seed)
    if args.train_limit:
        train = train[: args.train_limit]
    labels = list(label_set(sorted(set().union(*(s.kinds() for s in train)))))
    gold = [s.tags for s in test]
    print(f"FiNER: train {len(train)} / dev {len(dev)} / test {len(test)} sentences; labels {labels}", flush=True)
    results: dict[str, dict] = {}
    lines = []

    started = time.perf_counter()
    crf = CrfBaseline().fit([s.words for s in train], [s.tags for s in train])
    results["crf"] = entity_report(gold, crf.predict([s.words for s in test]), labels)
    lines.append(fmt("CRF (FiNER train)", results["crf"], time.perf_counter() - started))
    print(lines[-1], flush=True)

    config = TrainConfig(epochs=args.epochs, patience=args.patience, seed=args.seed, max_length=args.max_length,
                         progress=False, optim=OptimConfig(lr=args.lr, batch_size=args.batch_size,
                                                           head_lr_multiplier=args.head_lr_multiplier))
    wanted = set(args.runs.split(","))
    runs = [("minilm", train, True)] if "minilm" in wanted else []
    if args.ablate_shape:
        runs.append(("minilm-no-shape", train, False))
    if not args.skip_wikigold and "minilm+wikigold" in wanted:
        wiki = read_sentences(folder / "wikigold" / "wikigold.conll")
        runs.append(("minilm+wikigold", train + wiki, True))
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(args.keep or Path(tmp) / "registry")
        for name, train_part, case_input in runs:
            started = time.perf_counter()
            result = run(None, name=name.replace("+", "-"), method=args.method, config=config,
                         splits=(train_part, dev, test), case_input=case_input, baseline=False,
                         decoding=args.decoding, hybrid=not args.no_hybrid, crf_data=train, registry=registry)
            seconds = time.perf_counter() - started
            ev, training = result.evaluation, result.card.training
            record = {"epochs_run": training["epochs_run"], "best_epoch": training["best_epoch"],
                      "dev_curve": [round(r.get("dev_entity_f1", 0.0), 4) for r in training.get("history", [])],
                      "hybrid_dev_f1": training.get("hybrid_dev_f1"),
                      "crf_weight": result.card.hyperparameters["crf_weight"], "seconds": round(seconds)}
            results[name] = {**ev.get("model_alone", ev["model"]), **record}
            lines.append(fmt(f"{name} ({args.method}, alone)", results[name], seconds))
            print(lines[-1], "dev F1 by epoch", record["dev_curve"], flush=True)
            if not args.no_hybrid:
                results[f"{name}+crf"] = {**ev["model"], **record}
                lines.append(fmt(f"{name} + CRF (share {record['crf_weight']:.1f})", results[f"{name}+crf"], seconds))
                print(lines[-1], "dev F1 by model share", record["hybrid_dev_f1"], flush=True)
    print("\nFiNER test, seqeval strict entity F1:")
    print("\n".join(lines))
    for key in ("minilm", "minilm+crf", "minilm+wikigold", "minilm+wikigold+crf"):
        if key in results:
            gain = results[key]["f1"] - results["crf"]["f1"]
            print(f"{key} − CRF = {gain * 100:+.1f} points (target ≥ +5.0)")
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
                                       indent=2))


if __name__ == "__main__":
    main()
