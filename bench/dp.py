"""Accuracy cost of differential privacy on Financial PhraseBank: non-private vs DP-SGD at ε = 8 and 3.

Same split as bench/quality.py (50% agree, stratified 80/10/10, seed 42); every run uses the same model,
method, epochs and seed through the core's public entry point `shared.api.finetune(..., privacy=...)`.
DP runs use Poisson sampling and noise calibrated to spend the target ε over the planned epochs at
δ = 1/(10·n). Anchor: DP LoRA on RoBERTa loses ~3-7 points at ε ≈ 6.7 (Yu et al. 2021).
Target: within 4 points of non-private at ε = 8.

    python bench/dp.py --data-dir "$VERTICALS_DATA" [--method lora] [--epochs 3] [--epsilons 8 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", default=os.environ.get("VERTICALS_DATA"), help="Folder with the data sets."
    )
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--method", default="lora", choices=["lora", "head", "topk", "full"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--epsilons", type=float, nargs="+", default=[8.0, 3.0])
    parser.add_argument(
        "--batch-size", type=int, default=64, help="Expected batch size (Poisson) for every run."
    )
    parser.add_argument("--lr", type=float, default=None, help="Default: the method's default learning rate.")
    parser.add_argument(
        "--dp-lr-scale",
        type=float,
        default=1.0,
        help="Multiply the learning rate by this for the DP runs (noisy gradients often want more).",
    )
    parser.add_argument("--max-grad-norm", type=float, default=1.0, help="DP per-sample clipping bound.")
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument(
        "--limit", type=int, default=None, help="Use only this many training rows (smoke runs)."
    )
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("give --data-dir or set VERTICALS_DATA")

    from shared.api import finetune
    from shared.config import DEFAULT_LR, OptimConfig, TrainConfig
    from shared.data.splits import stratified_split
    from shared.datasets import load_financial_phrasebank
    from shared.privacy import PrivacyConfig
    from shared.registry import Registry

    train, dev, test = stratified_split(load_financial_phrasebank(args.data_dir), "label", seed=42)
    if args.limit:
        train = train.sample(n=min(args.limit, len(train)), random_state=0)
    registry = Registry(tempfile.mkdtemp(prefix="bench-dp-"))
    base_lr = args.lr or DEFAULT_LR[args.method]
    runs: list[tuple[str, float | None]] = [("non-private", None)] + [
        (f"DP ε={e:g}", e) for e in args.epsilons
    ]
    rows = []
    for label, epsilon in runs:
        lr = base_lr * (args.dp_lr_scale if epsilon is not None else 1.0)
        config = TrainConfig(
            epochs=args.epochs,
            patience=args.epochs,
            max_length=args.max_length,
            progress=False,
            optim=OptimConfig(lr=lr, batch_size=args.batch_size),
        )
        privacy = (
            PrivacyConfig(epsilon=epsilon, max_grad_norm=args.max_grad_norm) if epsilon is not None else None
        )
        started = time.perf_counter()
        result = finetune(
            None,
            name=f"bench-dp-{len(rows)}",
            model=args.model,
            method=args.method,
            config=config,
            splits=(train, dev, test),
            registry=registry,
            privacy=privacy,
        )
        spent = (result.card.privacy or {}).get("spent_epsilon")
        rows.append(
            (
                label,
                result.metrics["accuracy"],
                result.metrics["macro_f1"],
                spent,
                lr,
                time.perf_counter() - started,
            )
        )
        print(f"[{label}] {rows[-1]}", flush=True)

    base_acc = rows[0][1]
    print(
        f"\nFinancial PhraseBank test split ({len(test)} rows), train {len(train)} rows; {args.model} "
        f"{args.method}, {args.epochs} epochs, batch {args.batch_size}, max_length {args.max_length}, "
        f"DP clip {args.max_grad_norm}, δ = 1/(10·n)"
    )
    print(
        f"{'run':<14} {'accuracy':>9} {'macro-F1':>9} {'Δacc (pts)':>11} {'ε spent':>8} {'lr':>8} {'seconds':>8}"
    )
    for label, acc, f1, spent, lr, secs in rows:
        gap = 100 * (acc - base_acc)
        spent_s = f"{spent:.2f}" if spent is not None else "-"
        print(f"{label:<14} {acc:>9.3f} {f1:>9.3f} {gap:>+11.1f} {spent_s:>8} {lr:>8.0e} {secs:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
