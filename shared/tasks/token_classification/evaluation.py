"""Entity-level evaluation: seqeval strict (IOB2) precision/recall/F1 per type, plus the token-level confusion.

Strict mode counts an entity only when its type and both boundaries match. Predicted tags are repaired with
`to_bio` first (a model's `I-X` after `O` starts an entity), so the IO-tagged gold of FiNER/Wikigold and the
model's output are compared in one scheme.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.metrics import confusion_matrix

from shared.tasks.token_classification.tags import to_bio


def entity_report(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                  labels: Sequence[str]) -> dict[str, Any]:
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    gold_bio = [to_bio(s) for s in gold]
    pred_bio = [to_bio(s) for s in pred]
    raw = classification_report(gold_bio, pred_bio, mode="strict", scheme=IOB2, output_dict=True,
                                zero_division=0) if any(gold_bio) else {}
    micro = raw.get("micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
    per_type = {k: _row(v) for k, v in raw.items() if not k.endswith(" avg")}
    flat_gold = [t for s in gold_bio for t in s]
    flat_pred = [t for s in pred_bio for t in s]
    tag_labels = list(labels)
    return {
        "precision": float(micro["precision"]), "recall": float(micro["recall"]), "f1": float(micro["f1-score"]),
        "entities": int(micro["support"]), "sentences": len(gold_bio),
        "token_accuracy": sum(g == p for g, p in zip(flat_gold, flat_pred)) / max(1, len(flat_gold)),
        "per_type": per_type, "labels": tag_labels,
        "token_confusion": confusion_matrix(flat_gold, flat_pred, labels=tag_labels).tolist() if flat_gold else [],
    }


def _row(v: dict[str, Any]) -> dict[str, float | int]:
    return {"precision": float(v["precision"]), "recall": float(v["recall"]), "f1": float(v["f1-score"]),
            "support": int(v["support"])}


def format_entity_report(report: dict[str, Any], title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'entity type':<14}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for kind, row in sorted(report["per_type"].items()):
        lines.append(f"{kind:<14}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>10d}")
    lines.append(f"{'all (micro)':<14}{report['precision']:>10.3f}{report['recall']:>10.3f}{report['f1']:>10.3f}"
                 f"{report['entities']:>10d}")
    lines.append(f"token accuracy {report['token_accuracy']:.3f} over {report['sentences']} sentences")
    return "\n".join(lines)


def format_confusion(report: dict[str, Any]) -> str:
    labels = report["labels"]
    if not report["token_confusion"]:
        return ""
    lines = ["token-level confusion (rows = true, columns = predicted):",
             " " * 10 + "".join(f"{lab[:8]:>9}" for lab in labels)]
    for label, row in zip(labels, report["token_confusion"]):
        lines.append(f"{label[:9]:<10}" + "".join(f"{v:>9d}" for v in row))
    return "\n".join(lines)
