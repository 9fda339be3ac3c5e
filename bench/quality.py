"""Quality of the core's fine-tuning against two baselines, in one run.

Financial PhraseBank (50% agree, stratified 80/10/10, seed 42) and Banking77 (published split, dev carved
from train, stratified, seed 42). Baselines: TF-IDF + logistic regression, frozen MiniLM embeddings +
logistic regression. Usage:

    python bench/quality.py --data-dir "$VERTICALS_DATA" [--datasets fpb banking77] [--model minilm]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from shared.data.splits import stratified_split


def scores(y_true, y_pred) -> tuple[float, float]:
    return accuracy_score(y_true, y_pred), f1_score(y_true, y_pred, average="macro")


def tfidf_lr(train, test) -> tuple[float, float]:
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    clf = LogisticRegression(max_iter=2000, C=10)
    clf.fit(vec.fit_transform(train.text), train.label)
    return scores(test.label, clf.predict(vec.transform(test.text)))


def frozen_lr(train, test, encoder) -> tuple[float, float]:
    x_train = encoder.encode(train.text.tolist(), batch_size=64, normalize_embeddings=True)
    x_test = encoder.encode(test.text.tolist(), batch_size=64, normalize_embeddings=True)
    clf = LogisticRegression(max_iter=3000, C=10).fit(x_train, train.label)
    return scores(test.label, clf.predict(x_test))


def load(name: str, data_dir: str):
    from shared.datasets import load_banking77, load_financial_phrasebank

    if name == "fpb":
        return stratified_split(load_financial_phrasebank(data_dir), "label", seed=42)
    train_full, test = load_banking77(data_dir)
    train, dev, _ = stratified_split(train_full, "label", fractions=(0.9, 0.1, 0.0), seed=42)
    return train, dev, test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("VERTICALS_DATA"), help="Folder with the data sets.")
    parser.add_argument("--datasets", nargs="+", default=["fpb", "banking77"], choices=["fpb", "banking77"])
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--method", default="full", choices=["full", "lora", "topk", "head"])
    parser.add_argument("--epochs", type=int, default=None, help="Default: 6 for FPB, 8 for Banking77.")
    parser.add_argument("--lr", type=float, default=None, help="Default: 1e-4 (full) or the method's default.")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--patience", type=int, default=2, help="Epochs without dev improvement before stopping.")
    parser.add_argument("--head-lr-multiplier", type=float, default=1.0,
                        help="The new head's learning rate as a multiple of the encoder's.")
    parser.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                        help="auto: bf16 autocast on CUDA and on CPUs with native bf16, else fp32.")
    parser.add_argument("--distill-from", default=None,
                        help="Distil from this classifier (NAME[@VERSION]) in --registry, e.g. an mpnet run's bench-fpb.")
    parser.add_argument("--distill-alpha", type=float, default=0.5)
    parser.add_argument("--distill-temperature", type=float, default=2.0)
    parser.add_argument("--registry", type=Path, default=None,
                        help="Keep the fine-tuned models in this registry (default: a new temporary one).")
    parser.add_argument("--name-suffix", default="", help="Appended to the registered names (bench-fpb...).")
    parser.add_argument("--skip-baselines", action="store_true")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("give --data-dir or set VERTICALS_DATA")

    from shared.api import finetune
    from shared.config import DistillConfig, OptimConfig, TrainConfig
    from shared.models.loading import load_sentence_transformer
    from shared.registry import Registry

    registry = Registry(args.registry or tempfile.mkdtemp(prefix="bench-quality-"))
    print(f"registry: {registry.root}", flush=True)
    encoder = None if args.skip_baselines else load_sentence_transformer("minilm")
    rows = []
    for name in args.datasets:
        train, dev, test = load(name, args.data_dir)
        if encoder is not None:
            t = time.perf_counter()
            rows.append((name, "TF-IDF + LR", *tfidf_lr(train, test), time.perf_counter() - t))
            t = time.perf_counter()
            rows.append((name, "frozen minilm + LR", *frozen_lr(train, test, encoder), time.perf_counter() - t))
        epochs = args.epochs or (6 if name == "fpb" else 8)
        lr = args.lr or (1e-4 if args.method == "full" else None)
        config = TrainConfig(epochs=epochs, patience=args.patience, max_length=64 if name == "banking77" else 96,
                             precision=args.precision, progress=False, optim=OptimConfig(lr=lr, batch_size=args.batch_size,
                                                             head_lr_multiplier=args.head_lr_multiplier))
        t = time.perf_counter()
        distill = DistillConfig(args.distill_from, args.distill_alpha, args.distill_temperature) \
            if args.distill_from else None
        result = finetune(None, name=f"bench-{name}{args.name_suffix}", model=args.model, method=args.method,
                          config=config, splits=(train, dev, test), registry=registry, distill=distill)
        kd = f" KD from {result.card.hyperparameters['distill']['teacher']}" if distill else ""
        rows.append((name, f"core {args.model} {args.method}{kd} (ep {result.card.training['epochs_run']})",
                     result.metrics["accuracy"], result.metrics["macro_f1"], time.perf_counter() - t))
        print(f"[{name}] {rows[-1]}", flush=True)
        for row in result.card.training.get("history", []):  # the dev curve early stopping chose from
            print(f"    epoch {row['epoch']}: train loss {row['train_loss']:.4f}, "
                  f"dev accuracy {row.get('dev_accuracy', float('nan')):.4f}", flush=True)
    width = max(34, *(len(r[1]) for r in rows))
    print(f"\n{'data':<10} {'model':<{width}} {'accuracy':>9} {'macro-F1':>9} {'seconds':>8}")
    for name, model, acc, f1, secs in rows:
        print(f"{name:<10} {model:<{width}} {acc:>9.3f} {f1:>9.3f} {secs:>8.0f}")


if __name__ == "__main__":
    main()
