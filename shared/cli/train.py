"""`verticals finetune` and `verticals evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shared.config import METHODS, TASKS, DistillConfig, LoraSettings, OptimConfig, TrainConfig

_DISTILL = DistillConfig.__dataclass_fields__
_AUTO = " (default: chosen by --method auto, else {})."


def finetune(
    name: str = typer.Option(..., "--name", help="Task name in the registry (e.g. fin-sentiment)."),
    data: Path = typer.Option(..., "--data", help="Labelled data: CSV, TSV, JSONL or Parquet; for token-classification "
                              "CoNLL (token ... TAG per line) or JSONL (text + character-offset spans)."),
    task: str = typer.Option("classification", help=f"One of {', '.join(TASKS)}."),
    model: str | None = typer.Option(None, help="Catalogue name (minilm, mpnet, smollm2) or a local model folder "
                                         "(default: smollm2 for generation, else minilm)."),
    method: str = typer.Option("auto", help=f"auto (classification: method, learning rates, batch size and epochs "
                                "chosen from the data, labels, base model and device; token-classification: the "
                                "recipe measured on FiNER; the card says why) or one of "
                                f"{', '.join(METHODS)} (default for embedding and generation: lora)."),
    text_col: str = typer.Option("text", help="[classification] Text column."),
    text_pair_col: str | None = typer.Option(None, help="[classification] Second text column for pair input."),
    label_col: str = typer.Option("label", help="[classification] Label column."),
    query_col: str = typer.Option("query", help="[embedding] Query column."),
    positive_col: str = typer.Option("positive", help="[embedding] Positive passage column."),
    negative_col: str | None = typer.Option(None, help="[embedding] Optional hard-negative column."),
    test_data: Path | None = typer.Option(
        None, help="[token-classification] Held-out test file (default: 10% of --data; dev is carved from --data)."),
    hybrid: bool | None = typer.Option(
        None, "--hybrid/--no-hybrid", help="[token-classification] Mix the model's probabilities with a feature "
        "CRF's at the share dev prefers (default: on with --method auto, else off)."),
    prompt_col: str = typer.Option("prompt", help="[generation] Prompt column."),
    answer_col: str = typer.Option("answer", help="[generation] Answer column."),
    epochs: int | None = typer.Option(None, help=TrainConfig.__dataclass_fields__["epochs"].metadata["help"]
                                         + _AUTO.format(3)),
    lr: float | None = typer.Option(None, help=OptimConfig.__dataclass_fields__["lr"].metadata["help"]),
    batch_size: int | None = typer.Option(
        None, help=OptimConfig.__dataclass_fields__["batch_size"].metadata["help"] + _AUTO.format(32)),
    head_lr_multiplier: float | None = typer.Option(
        None, help=OptimConfig.__dataclass_fields__["head_lr_multiplier"].metadata["help"] + _AUTO.format(1)),
    max_length: int = typer.Option(128, help=TrainConfig.__dataclass_fields__["max_length"].metadata["help"]),
    patience: int | None = typer.Option(
        None, help=TrainConfig.__dataclass_fields__["patience"].metadata["help"] + _AUTO.format(2)),
    seed: int = typer.Option(42, help=TrainConfig.__dataclass_fields__["seed"].metadata["help"]),
    lora_r: int = typer.Option(8, help=LoraSettings.__dataclass_fields__["r"].metadata["help"]),
    topk_layers: int = typer.Option(2, help=TrainConfig.__dataclass_fields__["topk_layers"].metadata["help"]),
    precision: str = typer.Option("auto", help=TrainConfig.__dataclass_fields__["precision"].metadata["help"]),
    dp_epsilon: float | None = typer.Option(None, help="Train with DP-SGD to this privacy budget ε."),
    dp_delta: float | None = typer.Option(None, help="DP δ (default 1/(10·n))."),
    distill_from: str | None = typer.Option(
        None, help="[classification, embedding] " + _DISTILL["teacher"].metadata["help"]
        + " Trains on its soft predictions (classes, or in-batch candidates) too."),
    distill_alpha: float = typer.Option(0.5, help=_DISTILL["alpha"].metadata["help"]),
    distill_temperature: float = typer.Option(2.0, help=_DISTILL["temperature"].metadata["help"]),
    redact_pii: bool = typer.Option(False, help="Replace e-mails, phones, cards, IBANs, IPs before training."),
    checkpoint_dir: Path | None = typer.Option(None, help="Write a checkpoint here after each epoch."),
    resume: bool = typer.Option(False, help="Resume from the checkpoint in --checkpoint-dir."),
    promote: bool = typer.Option(True, help="Make the new version current (held back if it loses to its "
                                 "TF-IDF + logistic regression baseline on dev, unless --force)."),
    force: bool = typer.Option(False, "--force", help="Make it current even if it loses to its baseline."),
    budget: str | None = typer.Option(None, help="[classification, --method auto] Also try the recipe's neighbours "
                                      "(lr x2, x0.5, head lr x1) on dev within this wall-clock budget, e.g. 15m; "
                                      "the best on dev is kept."),
) -> None:
    """Fine-tune a packaged model on your labelled data, evaluate it and register it."""
    from shared.api import finetune as run
    from shared.tasks.classification.search import parse_budget

    given = {"epochs": epochs, "batch_size": batch_size, "head_lr_multiplier": head_lr_multiplier,
             "patience": patience}
    pinned = [k for k, v in given.items() if v is not None]  # what `--method auto` must leave alone
    config = TrainConfig(epochs=epochs or 3, seed=seed, max_length=max_length, patience=patience or 2,
                         topk_layers=topk_layers, precision=precision,
                         optim=OptimConfig(lr=lr, batch_size=batch_size or 32,
                                           head_lr_multiplier=head_lr_multiplier or 1.0),
                         lora=LoraSettings(r=lora_r, alpha=2 * lora_r))
    if method == "auto" and task not in ("classification", "token-classification"):
        # The recipes are written for (token) classification; the other tasks keep their measured defaults.
        method = "lora"
    per_task: dict[str, dict[str, Any]] = {
        "classification": {"text_col": text_col, "label_col": label_col, "text_pair_col": text_pair_col,
                           "redact_pii": redact_pii, "pinned": pinned, "force": force,
                           **({"budget_s": parse_budget(budget)} if budget else {})},
        "embedding": {"query_col": query_col, "positive_col": positive_col, "negative_col": negative_col},
        "generation": {"prompt_col": prompt_col, "answer_col": answer_col},
        "token-classification": {"test_data": str(test_data) if test_data is not None else None, "pinned": pinned,
                                 "hybrid": hybrid},
    }
    privacy = None
    if dp_epsilon is not None or dp_delta is not None:
        from shared.privacy.config import PrivacyConfig

        privacy = PrivacyConfig(epsilon=dp_epsilon if dp_epsilon is not None else 8.0, delta=dp_delta)
    extra: dict[str, Any] = {"privacy": privacy} if privacy is not None else {}
    if checkpoint_dir is not None:
        extra |= {"checkpoint_dir": checkpoint_dir, "resume": resume}
    if distill_from is not None:
        if task not in ("classification", "embedding"):
            raise typer.BadParameter("distillation is for classification and embedding models",
                                     param_hint="--distill-from")
        extra |= {"distill": DistillConfig(distill_from, distill_alpha, distill_temperature)}
    model = model or ("smollm2" if task == "generation" else "minilm")
    result = run(str(data), task=task, name=name, model=model, method=method, config=config, promote=promote,
                 **per_task.get(task, {}), **extra)
    if result.version is None:
        return  # a non-zero rank under torchrun: rank 0 reports
    typer.echo(f"\n{name} {result.version} saved to {result.model_dir}")
    recipe = (result.card.training or {}).get("recipe") if hasattr(result, "card") else None
    if recipe:
        typer.echo("method auto: " + "; ".join(recipe["chosen"]["why"]))
    search = (result.card.training or {}).get("search") if hasattr(result, "card") else None
    if search:
        typer.echo(f"budget search ({search['budget_s']:.0f} s): kept {search['chosen']!r} of "
                   + ", ".join(f"{c['candidate']} dev {c['dev_accuracy']:.3f}" if "dev_accuracy" in c
                               else f"{c['candidate']} skipped" for c in search["candidates"]))
    typer.echo(result.report)
    if getattr(result, "not_promoted_because", None):
        typer.secho(f"\n{name} {result.version} was saved but NOT made current: {result.not_promoted_because}. "
                    f"Promote it anyway with `verticals models promote {name} {result.version} --force`.",
                    fg="yellow")


def evaluate(
    name: str = typer.Option(..., "--name", help="Registered task name."),
    version: str | None = typer.Option(None, help="Version (default: current)."),
    data: Path | None = typer.Option(None, help="Labelled file to evaluate on (default: the stored test report)."),
    text_col: str = typer.Option("text"),
    label_col: str = typer.Option("label"),
) -> None:
    """Print a model's evaluation report: the stored test-split report, or a fresh one on --data."""
    from shared.registry import Registry

    registry = Registry()
    folder = registry.path(name, version)
    if data is None:
        typer.echo((folder / "evaluation.txt").read_text() if (folder / "evaluation.txt").exists()
                   else str(registry.card(name, version).metrics))
        return
    from shared.api import load_model
    from shared.cli.guards import require_task

    if registry.card(name, version).task == "token-classification":
        from shared.tasks.token_classification.data import Sentence, check_kinds, read_sentences
        from shared.tasks.token_classification.evaluation import entity_report, format_entity_report

        ner = load_model(name, version)
        sentences = read_sentences(data)
        known = [Sentence(["x"], [f"B-{k}"]) for k in ner.types]
        check_kinds(known, sentences, "evaluation")
        report = entity_report([s.tags for s in sentences], ner.predict_tags([s.words for s in sentences]), ner.labels)
        typer.echo(format_entity_report(report, f"{name} on {data}:"))
        return
    from shared.data.labels import LabelMap
    from shared.data.tables import clean_text_rows, read_table
    from shared.metrics import classification_report, format_report
    from shared.tasks.classification.baseline import TfidfBaseline, evaluate_baseline, format_comparison

    require_task(name, version, "classification", "the stored report (drop --data)")
    model = load_model(name, version)
    df, rep = clean_text_rows(read_table(data), [text_col], label_col)
    labels = LabelMap(tuple(model.labels))
    y_true = labels.encode(df[label_col].tolist())
    texts = df[text_col].tolist()
    y_pred = model.predict_proba(texts).argmax(1)
    report = classification_report(y_true, y_pred, labels.labels)
    baseline = TfidfBaseline.load(folder)  # trained on the model's own training split
    metrics = {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}
    if baseline is not None:
        metrics["baseline"] = evaluate_baseline(baseline, None, (texts, y_true))
    typer.echo(f"{rep.summary()}\n" + format_report(report) + "\n" + format_comparison(metrics))
