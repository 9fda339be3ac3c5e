"""Recommender bench on MovieLens-100k: baselines vs the blended ranker in one run, plus latency.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/recommender.py [--max-pairs 1024] [--pad-to 10000]
    HF_HUB_OFFLINE=1 .venv/bin/python bench/recommender.py --from-artifact var/recommender/ml-100k

Trains everything from scratch (or evaluates a recommender saved by `recommender.demo.prepare()`, which
ran the same training) (temporal split 80/10/10; text model fine-tuned on pairs from before the
first ranker window), evaluates on the test window, then pads the catalogue with synthetic items
(real item vectors plus noise; no interactions) to time top-10 requests against 10k+ items.
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


def _pct(times: list[float]) -> tuple[float, float]:
    return 1000 * float(np.percentile(times, 50)), 1000 * float(np.percentile(times, 95))


def latency(rec, users: list[str], texts: list[str]) -> dict[str, tuple[float, float]]:
    """p50/p95 ms of the blended top-10 and, interleaved request by request (so both see the same load
    on a shared machine), of two single-signal baselines over the same catalogue."""
    from recommender.config import RecConfig
    from recommender.evaluation import ranked_list

    cfg = RecConfig()
    for u in users[:5]:
        rec.recommend(u, config=cfg)  # warm-up
    times: dict[str, list[float]] = {"blended": [], "popularity": [], "ALS": []}
    for u in users:
        t = time.perf_counter()
        rec.recommend(u, config=cfg)
        times["blended"].append(time.perf_counter() - t)
        for method in ("popularity", "ALS"):
            t = time.perf_counter()
            ranked_list(rec, u, method, k=10)
            times[method].append(time.perf_counter() - t)
    free = []
    for text in texts:
        t = time.perf_counter()
        rec.recommend(text=text, config=cfg)
        free.append(time.perf_counter() - t)
    return {**{k: _pct(v) for k, v in times.items()}, "free text": _pct(free), "requests": len(users)}


def padded(rec, pad_to: int, seed: int = 0):
    """A copy of the service whose catalogue is padded to `pad_to` items with synthetic text-only items."""
    import pandas as pd

    from recommender.service import Recommender

    extra = max(0, pad_to - len(rec.items))
    rng = np.random.default_rng(seed)
    base = rec.item_vectors[rng.integers(0, len(rec.items), extra)]
    vecs = base + rng.normal(scale=0.05, size=base.shape).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    items = pd.concat([rec.items, pd.DataFrame({
        "item_id": [f"synthetic-{i}" for i in range(extra)], "title": [f"Synthetic item {i}" for i in range(extra)],
        "description": "", "tags": [[] for _ in range(extra)], "created_at": pd.NA,
        "text": [f"Synthetic item {i}" for i in range(extra)]})], ignore_index=True)
    import copy

    signals = copy.deepcopy(rec.signals)
    signals.extend(len(items))
    big = Recommender(items, np.vstack([rec.item_vectors, vecs]), rec.encoder, signals, history=rec.history,
                      ranker=rec.ranker, candidates=rec.candidates, history_len=rec.history_len,
                      user_vectors=dict(rec.user_vectors))
    return big


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-pairs", type=int, default=1024, help="text fine-tuning pairs (0 = base model)")
    ap.add_argument("--pad-to", type=int, default=10_000, help="catalogue size for the latency test")
    ap.add_argument("--latency-users", type=int, default=200)
    ap.add_argument("--from-artifact", type=Path, default=None,
                    help="evaluate a saved recommender (e.g. the demo's) instead of training one")
    ap.add_argument("--via-core", metavar="NAME", default=None,
                    help="fine-tune through the core's embedding task and register as NAME (default: local loop)")
    args = ap.parse_args()

    from recommender.config import TextTrainConfig
    from recommender.data import movielens_dataset
    from recommender.evaluation import evaluate_methods
    from recommender.pipeline import TrainSettings, train
    from recommender.text_model import TextInterestModel, load_base_model

    t0 = time.perf_counter()
    data = None if args.from_artifact else movielens_dataset()
    if args.from_artifact:
        from recommender.service import Recommender

        rec = Recommender.load(args.from_artifact)
    else:
        rec = train(data, TrainSettings(text=TextTrainConfig(max_pairs=args.max_pairs), register_as=args.via_core),
                    progress=lambda s: print(s, file=sys.stderr, flush=True))
    print("evaluating ...", file=sys.stderr, flush=True)
    results = evaluate_methods(rec)
    ft = rec.meta.get("text_finetune") or {}
    if ft.get("validation_text_ndcg@10", {}).get("kept", bool(ft)):
        # the fine-tuned model is served: the same text-only baseline with the base encoder shows what it adds
        base = TextInterestModel(load_base_model())
        base_rec = type(rec)(rec.items, base.encode(rec.items["text"].tolist()), base, rec.signals,
                             history=rec.history, test=rec.test, history_len=rec.history_len)
        base_rec.precompute_user_vectors()
        results["text (base MiniLM)"] = evaluate_methods(base_rec, ["text"])["text"]

    rng = np.random.default_rng(1)
    users = list(rng.choice(rec.users(), size=min(args.latency_users, len(rec.users())), replace=False))
    big = padded(rec, args.pad_to)
    print("timing ...", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    lat = latency(big, users, ["space adventure with robots", "romantic comedy in Paris", "gritty crime drama",
                               "animated film for kids", "documentary about music"] * 4)

    print(f"\nMovieLens-100k, temporal split 80/10/10 ({results['blended']['users']} test users with history; "
          f"cold-start slice: {results['blended']['cold_users']} users)")
    print(f"{'method':<22}{'Recall@10':>10}{'NDCG@10':>10}{'MRR@10':>9}{'coverage':>10}{'cold R@50':>11}")
    kept = ft.get("validation_text_ndcg@10", {}).get("kept", bool(ft))
    label = {"text": "text (fine-tuned)" if kept else "text (base MiniLM)"}
    for name, r in results.items():
        name = label.get(name, name)
        print(f"{name:<22}{r['recall@10']:>10.4f}{r['ndcg@10']:>10.4f}{r['mrr']:>9.4f}{r['coverage']:>10.4f}"
              f"{r['cold_recall@50']:>11.4f}")
    pop, bl = results["popularity"]["ndcg@10"], results["blended"]["ndcg@10"]
    best_single = max(r["ndcg@10"] for n, r in results.items() if n != "blended")
    print(f"\nblended / popularity NDCG@10 = {bl / pop:.2f}x (target >= 1.3x); "
          f"blended - best single-signal = {bl - best_single:+.4f} (target > 0)")
    print(f"latency, top-10 for one known user, {len(big.items)} items ({len(big.items) - len(rec.items)} "
          f"synthetic, text-only), {lat['requests']} requests, load average {load_before:.1f} before timing:")
    for name in ("blended", "popularity", "ALS", "free text"):
        p50, p95 = lat[name]
        note = {"blended": " (target p95 <= 30 ms)", "free text": " (encodes the text on the fly)"}.get(name, "")
        print(f"  {name:<12} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms{note}")
    print(f"  blended / popularity p95 = {lat['blended'][1] / lat['popularity'][1]:.1f}x")
    if ft:
        print(f"text fine-tuning: {ft}")
    print(f"total bench time {time.perf_counter() - t0:.0f} s on {os.cpu_count()} CPU cores; "
          f"load average at the end {os.getloadavg()[0]:.1f} (other jobs share these cores)")


if __name__ == "__main__":
    main()
