"""Training throughput: the core's trainer against Hugging Face `Trainer`, same model, data and epoch.

Baselines: the tutorial-style HF Trainer set-up (pad every sample to 128 tokens, batch 32, fp32), and HF
Trainer tuned as a careful user would (bf16, `train_sampling_strategy="group_by_length"`,
`DataCollatorWithPadding(pad_to_multiple_of=8)`, the core's batch size).
Ours = length-bucketed dynamic padding (rounded to multiples of 8), fused AdamW and bf16 autocast on CUDA
and on CPUs with native bf16 (`--precision fp32` to compare without it), eager attention while training on
CPU (shared/training/attention.py; `--hf-eager` gives HF Trainer the same, to show that part of the gap),
optional torch.compile on CUDA. `--rounds N` alternates tuned HF Trainer and the core N times and reports
medians and the median of the paired ratios: on a shared machine the load drifts between two runs. On CUDA the script also prints the fraction of the arithmetic limit:
6 × non-embedding params × real tokens per sample, against a measured bf16 matmul rate.

    python bench/throughput.py --data-dir "$VERTICALS_DATA" [--samples 1024] [--model minilm] [--rounds 3]
    python bench/throughput.py --random-init base --samples 20000 --batch-size 256 --compile   # GPU
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

SIZES = {"minilm": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
         "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072}}


def texts_and_labels(args) -> tuple[list[str], list[int]]:
    from shared.datasets import load_financial_phrasebank

    df = load_financial_phrasebank(args.data_dir)
    reps = -(-args.samples // len(df))
    df = df.sample(frac=1.0, random_state=0)
    texts = (df.text.tolist() * reps)[: args.samples]
    labels = ({"negative": 0, "neutral": 1, "positive": 2}[v] for v in (df.label.tolist() * reps)[: args.samples])
    return texts, list(labels)


def build_encoder(args, path):
    from transformers import AutoModel, BertConfig, BertModel

    if args.random_init:
        return BertModel(BertConfig(vocab_size=30522, **SIZES[args.random_init]))
    return AutoModel.from_pretrained(path)


def run_hf(args, texts, labels, tokenizer, path, device) -> float:
    from torch.utils.data import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        BertConfig,
        BertForSequenceClassification,
        Trainer,
        TrainingArguments,
    )

    enc = tokenizer(texts, padding="max_length", truncation=True, max_length=128)

    class DS(Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            return {"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i],
                    "labels": labels[i]}

    torch.manual_seed(0)
    if args.random_init:
        model = BertForSequenceClassification(BertConfig(vocab_size=30522, num_labels=3, **SIZES[args.random_init]))
    else:
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=3)
    targs = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=32, num_train_epochs=1,
                              learning_rate=5e-5, report_to=[], save_strategy="no", logging_steps=10**9,
                              disable_tqdm=True, use_cpu=device.type == "cpu", dataloader_num_workers=0)
    trainer = Trainer(model=model, args=targs, train_dataset=DS())
    start = time.perf_counter()
    trainer.train()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(labels) / (time.perf_counter() - start)


def run_hf_tuned(args, texts, labels, tokenizer, path, device, batch: int, attn: str | None = None) -> float:
    """HF Trainer tuned as a careful user would: bf16, group-by-length sampling, dynamic padding to a
    multiple of 8, the core's batch size (and torch.compile when the core compiles). `attn` overrides
    transformers' attention implementation (sdpa by default)."""
    from torch.utils.data import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        BertConfig,
        BertForSequenceClassification,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    enc = tokenizer(texts, truncation=True, max_length=128)  # no padding: the collator pads per batch

    class DS(Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            return {"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i],
                    "labels": labels[i]}

    torch.manual_seed(0)
    attn_kwargs = {"attn_implementation": attn} if attn else {}
    if args.random_init:
        model = BertForSequenceClassification(BertConfig(vocab_size=30522, num_labels=3, **SIZES[args.random_init]),
                                              **attn_kwargs)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=3, **attn_kwargs)
    targs = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=batch, num_train_epochs=1,
                              learning_rate=5e-5, report_to=[], save_strategy="no", logging_steps=10**9,
                              disable_tqdm=True, use_cpu=device.type == "cpu", dataloader_num_workers=0,
                              bf16=True, train_sampling_strategy="group_by_length",
                              torch_compile=bool(args.compile and device.type == "cuda"))
    trainer = Trainer(model=model, args=targs, train_dataset=DS(),
                      data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8))
    start = time.perf_counter()
    trainer.train()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(labels) / (time.perf_counter() - start)


def core_batch(args, device) -> int:
    return args.batch_size or (256 if device.type == "cuda" else 32)


def run_core(args, texts, labels, tokenizer, path, device) -> tuple[float, float]:
    from shared.config import OptimConfig, TrainConfig
    from shared.modeling.classifier import TextClassifier
    from shared.tasks.classification.data import encode
    from shared.tasks.classification.objective import ClassificationTask
    from shared.training.trainer import Trainer

    examples = encode(tokenizer, texts, None, labels, 128)
    tokens = sum(len(e.input_ids) for e in examples) / len(examples)
    torch.manual_seed(0)
    model = TextClassifier(build_encoder(args, path), 3)
    model.train()
    task = ClassificationTask(examples, [], tokenizer.pad_token_id, 8, device)
    batch = core_batch(args, device)
    lr = 5e-5 * (batch / 32) ** 0.5  # square-root LR scaling for the larger GPU batch
    config = TrainConfig(epochs=1, progress=False, compile=args.compile, precision=args.precision,
                         optim=OptimConfig(lr=lr, batch_size=batch))
    start = time.perf_counter()
    Trainer(model, task, config, lr, device).fit()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(labels) / (time.perf_counter() - start), tokens


def matmul_tflops(device) -> float:
    n = 8192
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    start, reps = time.perf_counter(), 20
    for _ in range(reps):
        a @ b
    torch.cuda.synchronize()
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("VERTICALS_DATA"))
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--random-init", choices=sorted(SIZES), help="Random-init BERT of this size (GPU anchor).")
    parser.add_argument("--batch-size", type=int, default=None, help="Ours (default 32 CPU, 256 CUDA).")
    parser.add_argument("--compile", action="store_true", help="torch.compile our model (CUDA).")
    parser.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                        help="Ours: auto = bf16 autocast on CUDA and on CPUs with native bf16, else fp32.")
    parser.add_argument("--skip-defaults", action="store_true", help="Leave out HF Trainer at its defaults.")
    parser.add_argument("--rounds", type=int, default=1,
                        help="Alternate tuned HF Trainer and the core this many times (fresh models each round) and "
                             "report medians: on a shared machine the load drifts between two back-to-back runs.")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's).")
    parser.add_argument("--hf-eager", action="store_true",
                        help="Also time tuned HF Trainer with attn_implementation='eager' (what the core trains "
                             "with on CPU), to show how much of the gap is the attention kernel.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("give --data-dir or set VERTICALS_DATA")
    from shared.device import pick_device
    from shared.models.catalog import resolve_model
    from shared.models.loading import load_tokenizer

    device = pick_device()
    if args.threads:
        torch.set_num_threads(args.threads)
    ref = resolve_model(args.model)
    tokenizer = load_tokenizer(ref)
    texts, labels = texts_and_labels(args)
    hf = run_hf(args, texts, labels, tokenizer, ref.path, device) if not args.skip_defaults else float("nan")
    rounds: list[dict[str, float]] = []
    for _ in range(max(1, args.rounds)):
        row = {"tuned": run_hf_tuned(args, texts, labels, tokenizer, ref.path, device, core_batch(args, device))}
        if args.hf_eager:
            row["tuned_eager"] = run_hf_tuned(args, texts, labels, tokenizer, ref.path, device,
                                              core_batch(args, device), attn="eager")
        row["core"], tokens = run_core(args, texts, labels, tokenizer, ref.path, device)
        rounds.append(row)
        print("round", len(rounds), {k: round(v, 1) for k, v in row.items()}, flush=True)
    tuned = statistics.median(r["tuned"] for r in rounds)
    ours = statistics.median(r["core"] for r in rounds)
    tuned_ratio = statistics.median(r["core"] / r["tuned"] for r in rounds)  # paired: same moment's load
    tuned_eager = statistics.median(r["tuned_eager"] for r in rounds) if args.hf_eager else None
    name = args.random_init and f"random-init {args.random_init}-size BERT" or args.model
    where = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    medians = f", medians of {len(rounds)} rounds" if len(rounds) > 1 else ""
    print(f"\n{name} on {where}, {len(labels)} FPB sentences, {tokens:.1f} real tokens/sample, one epoch{medians}")
    print(f"{'trainer':<40} {'samples/s':>10}")
    print(f"{'HF Trainer (pad 128, batch 32)':<40} {hf:>10.1f}")
    print(f"{'HF Trainer tuned (bf16, by length)':<40} {tuned:>10.1f}")
    if tuned_eager is not None:
        print(f"{'HF Trainer tuned + eager attention':<40} {tuned_eager:>10.1f}")
    print(f"{'core trainer (bucketed)':<40} {ours:>10.1f}")
    per_round = ", ".join(f"{r['core'] / r['tuned']:.2f}" for r in rounds)
    print(f"ratio core / HF defaults: {ours / hf:.2f}x; core / HF tuned: {tuned_ratio:.2f}x"
          + (f" (rounds: {per_round})" if len(rounds) > 1 else ""))
    limit = None
    if device.type == "cuda":
        enc = build_encoder(args, ref.path)
        params = sum(p.numel() for n, p in enc.named_parameters() if "embeddings" not in n)
        limit = matmul_tflops(device) * 1e12 / (6 * params * tokens)
        print(f"arithmetic limit at measured bf16 matmul rate: {limit:,.0f} samples/s; "
              f"core reaches {ours / limit:.1%}")
    if args.json:
        import json

        args.json.write_text(json.dumps({"model": name, "device": where, "samples": len(labels), "tokens": tokens,
                                         "hf_defaults": None if args.skip_defaults else hf, "hf_tuned": tuned,
                                         "hf_tuned_eager": tuned_eager, "rounds": rounds,
                                         "threads": torch.get_num_threads(),
                                         "core": ours, "ratio_defaults": None if args.skip_defaults else ours / hf,
                                         "ratio_tuned": tuned_ratio, "arithmetic_limit_samples_per_s": limit,
                                         "fraction_of_limit": ours / limit if limit else None}, indent=2))

if __name__ == "__main__":
    main()
