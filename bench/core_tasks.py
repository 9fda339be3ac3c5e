"""Bench the core's embedding and generation tasks on the construction-company FAQ (503 Q&A pairs).

K-fold cross-validation over pairs, so no pair is trained on and tested on:
- embedding: each held-out question ranks its fold's answers; Recall@1/@5 and MRR of the right answer for
  BM25 (bm25s, no stemming), off-the-shelf `minilm`, and `minilm` fine-tuned on the other folds;
- generation: answer-token perplexity of `smollm2` on the held-out answers before and after LoRA.
A dev split (10 % of the training folds) drives early stopping; the test fold is never seen in training.

    nice .venv/bin/python bench/core_tasks.py                     # everything, 5 folds (hours on 2 CPU cores)
    # what was run for docs/core_tasks.md on a shared 2-core machine:
    OMP_NUM_THREADS=1 nice .venv/bin/python bench/core_tasks.py --skip-generation
    OMP_NUM_THREADS=1 nice .venv/bin/python bench/core_tasks.py --skip-embedding --gen-folds 1 --gen-epochs 1 \
        --gen-train-limit 96 --gen-eval-limit 48 --gen-max-length 192 --samples 2
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.config import LoraSettings, OptimConfig, TrainConfig
from shared.datasets.construction_faq import load_construction_faq
from shared.registry import Registry
from shared.retrieval_metrics import retrieval_metrics

KS = (1, 5, 10)


def bm25_scores(queries: list[str], corpus: list[str]) -> np.ndarray:
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
    tokens = bm25s.tokenize(queries, stopwords="en", return_ids=False, show_progress=False)
    return np.stack([retriever.get_scores(t) for t in tokens])


def folds(n: int, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.arange(n)))


def split_train_dev(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    dev = frame.sample(frac=0.1, random_state=seed)
    return frame.drop(dev.index), dev


def bench_embedding(faq: pd.DataFrame, args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    from shared.tasks.embedding.pipeline import run

    pairs = faq.rename(columns={"question": "query", "answer": "positive"})[["query", "positive"]]
    rows: dict[str, list[dict[str, float]]] = {"BM25 (bm25s)": [], "minilm off-the-shelf": [],
                                              f"minilm fine-tuned ({args.emb_method})": []}
    for i, (train_idx, test_idx) in enumerate(folds(len(pairs), args.folds, args.seed)):
        train, dev = split_train_dev(pairs.iloc[train_idx], args.seed)
        test = pairs.iloc[test_idx].reset_index(drop=True)
        rows["BM25 (bm25s)"].append(retrieval_metrics(bm25_scores(test["query"].tolist(), test["positive"].tolist()),
                                                      list(range(len(test))), KS))
        started = time.perf_counter()
        config = TrainConfig(epochs=args.emb_epochs, max_length=128, seed=args.seed, progress=False,
                             optim=OptimConfig(batch_size=args.emb_batch_size))
        with tempfile.TemporaryDirectory() as reg:
            res = run(None, splits=(train, dev, test), name=f"bench-emb-{i}", method=args.emb_method,
                      config=config, registry=Registry(reg))
        # The pipeline measured the untouched base and the tuned model on the same held-out pool.
        rows["minilm off-the-shelf"].append(res.metrics["baseline"])
        rows[f"minilm fine-tuned ({args.emb_method})"].append({k: v for k, v in res.metrics.items() if k != "baseline"})
        print(f"embedding fold {i + 1}/{args.folds}: {len(train)}/{len(dev)}/{len(test)} pairs, "
              f"{time.perf_counter() - started:.0f}s, MRR {res.metrics['baseline']['mrr']:.3f} → "
              f"{res.metrics['mrr']:.3f} (epochs run {res.card.training['epochs_run']})", flush=True)
    return rows


def bench_generation(faq: pd.DataFrame, args: argparse.Namespace) -> list[dict[str, float]]:
    from shared.models.loading import load_causal_lm
    from shared.tasks.generation.pipeline import run

    qa = faq.rename(columns={"question": "prompt"})[["prompt", "answer"]]
    base = load_causal_lm("smollm2")  # one load; each fold trains a deep copy
    out = []
    for i, (train_idx, test_idx) in enumerate(folds(len(qa), args.folds, args.seed)[: args.gen_folds]):
        train, dev = split_train_dev(qa.iloc[train_idx], args.seed)
        if args.gen_train_limit:  # CPU budget: a random subset of the training folds
            train = train.sample(n=min(args.gen_train_limit, len(train)), random_state=args.seed)
        test = qa.iloc[test_idx].reset_index(drop=True)
        if args.gen_eval_limit:  # CPU budget: score a random subset of the held-out fold (and of dev)
            test = test.sample(n=min(args.gen_eval_limit, len(test)), random_state=args.seed)
            dev = dev.sample(n=min(args.gen_eval_limit // 2, len(dev)), random_state=args.seed)
        started = time.perf_counter()
        config = TrainConfig(epochs=args.gen_epochs, max_length=args.gen_max_length, seed=args.seed, progress=args.progress,
                             optim=OptimConfig(batch_size=args.gen_batch_size, lr=args.gen_lr),
                             lora=LoraSettings(r=args.lora_r, alpha=2 * args.lora_r))
        with tempfile.TemporaryDirectory() as reg:
            res = run(None, splits=(train, dev, test), name=f"bench-gen-{i}", config=config,
                      registry=Registry(reg), samples=args.samples, sample_max_new_tokens=48,
                      loaded=(copy.deepcopy(base[0]), base[1]))
        row = {"before": res.metrics["baseline"]["perplexity"], "after": res.metrics["perplexity"],
               "seconds": time.perf_counter() - started}
        out.append(row)
        print(f"generation fold {i + 1}: {len(train)}/{len(dev)}/{len(test)} pairs, {row['seconds']:.0f}s, "
              f"perplexity {row['before']:.2f} → {row['after']:.2f}", flush=True)
        if args.samples:
            print(res.report, flush=True)
    return out


def mean_std(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--skip-embedding", action="store_true")
    p.add_argument("--emb-method", default="full", choices=("full", "lora", "topk"))
    p.add_argument("--emb-epochs", type=int, default=1)
    p.add_argument("--emb-batch-size", type=int, default=32)
    p.add_argument("--skip-generation", action="store_true")
    p.add_argument("--gen-folds", type=int, default=5, help="Run generation on the first N folds only.")
    p.add_argument("--gen-epochs", type=int, default=1)
    p.add_argument("--gen-batch-size", type=int, default=8)
    p.add_argument("--gen-lr", type=float, default=5e-4)
    p.add_argument("--gen-max-length", type=int, default=256, help="Token limit per prompt+answer.")
    p.add_argument("--gen-train-limit", type=int, default=0, help="Train on at most N pairs per fold (0 = all).")
    p.add_argument("--gen-eval-limit", type=int, default=0,
                   help="Score at most N held-out pairs per fold (and N/2 dev pairs); 0 = all.")
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--samples", type=int, default=0, help="Held-out answers to generate per fold, side by side.")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--json", type=Path, help="Also write the raw per-fold numbers here.")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)

    faq = load_construction_faq("en")
    print(f"construction FAQ: {len(faq)} pairs, {args.folds}-fold CV (seed {args.seed})", flush=True)
    raw: dict[str, object] = {}
    lines = []
    if not args.skip_embedding:
        emb = bench_embedding(faq, args)
        raw["embedding"] = emb
        lines += ["", (f"EMBEDDING — each held-out question ranks its fold's ~{len(faq) // args.folds} answers "
                       f"(mean ± std over {args.folds} folds)"),
                  f"{'retriever':<28}{'recall@1':>18}{'recall@5':>18}{'MRR':>18}"]
        for name, per_fold in emb.items():
            lines.append(f"{name:<28}" + "".join(f"{mean_std([f[m] for f in per_fold]):>18}"
                                                 for m in ("recall@1", "recall@5", "mrr")))
    if not args.skip_generation and args.gen_folds > 0:
        gen = bench_generation(faq, args)
        raw["generation"] = gen
        lines += ["", f"GENERATION — smollm2 answer-token perplexity on the held-out fold "
                      f"({len(gen)} of {args.folds} folds, LoRA r={args.lora_r}, {args.gen_epochs} epoch(s)"
                      + (f", {args.gen_train_limit} training pairs per fold" if args.gen_train_limit else "")
                      + (f", {args.gen_eval_limit} held-out pairs scored" if args.gen_eval_limit else "") + ")",
                  f"{'':<28}{'before':>18}{'after':>18}",
                  f"{'perplexity':<28}{mean_std([g['before'] for g in gen]):>18}{mean_std([g['after'] for g in gen]):>18}"]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
