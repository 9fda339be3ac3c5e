"""Alert rules as data, and their evaluation over trend buckets (pure functions taking `now`).

Kinds:
- `negative_share`: the bucket's negative share exceeds its rolling baseline mean by k standard
  deviations (and by at least `min_delta`), with at least `min_volume` items in the bucket.
- `volume_spike`: volume above baseline mean + k·sd and at least `min_ratio` × the baseline mean.
- `sentiment_drop`: mean sentiment below baseline mean − max(k·sd, `min_delta`).
- `negative_storm`: at least `min_volume` negative items in the bucket, a negative share of at least
  `min_share`, and more negative items than the baseline mean + k·sd and `min_ratio` × the mean (quiet buckets
  count as 0). With `min_baseline` 0 it judges subjects with no history at all: a company the NER model has
  just discovered, caught in a storm of negative coverage, has no baseline to deviate from.
The baseline is the `window` complete buckets before the one evaluated; a subject with fewer than
`min_baseline` baseline buckets holding items is not judged yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finance_monitor.errors import RuleError
from finance_monitor.trends import FREQS

KINDS = ("negative_share", "volume_spike", "sentiment_drop", "negative_storm")
SUBJECT_TYPES = ("all", "topic", "entity")
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    subject_type: str = field(default="topic", metadata={"help": "all | topic | entity"})
    subjects: tuple[str, ...] = field(default=(), metadata={"help": "limit to these subjects; empty = all"})
    freq: str = field(default="1D", metadata={"help": "bucket size: 1h or 1D"})
    window: int = field(default=14, metadata={"help": "baseline length in buckets"})
    min_baseline: int = field(default=5, metadata={"help": "baseline buckets with items needed to judge"})
    k: float = field(default=2.0, metadata={"help": "standard deviations above/below the baseline"})
    min_volume: int = field(default=5, metadata={"help": "items needed in the evaluated bucket"})
    min_delta: float = field(default=0.1, metadata={"help": "smallest absolute deviation that counts"})
    min_ratio: float = field(default=2.0, metadata={"help": "volume_spike, negative_storm: volume / baseline mean "
                                                           "at least"})
    min_share: float = field(default=0.5, metadata={"help": "negative_storm: negative share of the bucket at least"})
    severity: str = field(default="warning", metadata={"help": "info | warning | critical"})
    cooldown_s: int = field(default=86400, metadata={"help": "after a resolve, no new alert for this long"})
    repeat_interval_s: int = field(default=4 * 3600, metadata={"help": "re-notify a still-firing alert after"})
    resolve_after_s: int = field(default=0, metadata={"help": "auto-resolve once not firing for this long"})

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise RuleError("a rule needs a name")
        checks = [
            (self.kind in KINDS, f"kind {self.kind!r} is not one of {', '.join(KINDS)}"),
            (self.subject_type in SUBJECT_TYPES, f"subject_type {self.subject_type!r} is not one of {SUBJECT_TYPES}"),
            (self.freq in FREQS, f"freq {self.freq!r} is not one of {', '.join(FREQS)}"),
            (2 <= self.window <= 60, f"window must be 2..60 buckets, got {self.window!r}"),
            ((0 if self.kind == "negative_storm" else 1) <= self.min_baseline <= self.window,
             f"min_baseline must be in [{0 if self.kind == 'negative_storm' else 1}, window], got {self.min_baseline!r}"),
            (0.0 <= self.min_share <= 1.0, f"min_share must be in [0, 1], got {self.min_share!r}"),
            (self.k >= 0, f"k must be >= 0, got {self.k!r}"),
            (self.min_volume >= 1, f"min_volume must be >= 1, got {self.min_volume!r}"),
            (self.min_delta >= 0, f"min_delta must be >= 0, got {self.min_delta!r}"),
            (self.min_ratio >= 1, f"min_ratio must be >= 1, got {self.min_ratio!r}"),
            (self.severity in SEVERITIES, f"severity {self.severity!r} is not one of {SEVERITIES}"),
            (min(self.cooldown_s, self.repeat_interval_s, self.resolve_after_s) >= 0, "intervals must be >= 0"),
        ]
        for ok, msg in checks:
            if not ok:
                raise RuleError(f"rule {self.name!r}: {msg}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RuleError(f"rule {data.get('name')!r}: unknown field(s) {unknown}; known: {sorted(known)}")
        data = dict(data)
        if "subjects" in data:
            subj = data["subjects"]
            data["subjects"] = tuple([subj] if isinstance(subj, str) else (subj or ()))
        try:
            return cls(**data)
        except TypeError as exc:
            raise RuleError(f"rule {data.get('name')!r}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["subjects"] = list(self.subjects)
        return d


@dataclass(frozen=True)
class Evaluation:
    rule: str
    subject_type: str
    subject: str
    bucket_start: pd.Timestamp
    firing: bool
    value: float
    baseline: float | None
    threshold: float | None
    volume: int
    message: str


def rules_from_yaml(path: Path | str) -> list[Rule]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML ({exc})") from exc
    items = data.get("rules", data) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise RuleError(f"{path}: expected a list of rules (or a mapping with a `rules:` list)")
    rules = [Rule.from_dict(r) for r in items]
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RuleError(f"{path}: duplicate rule names {dupes}")
    return rules


def evaluate(rule: Rule, trends: pd.DataFrame, now: datetime) -> list[Evaluation]:
    """Judge the latest complete bucket at `now` of each subject of the rule's type.

    Subjects without an item in that bucket are still judged (volume 0, never firing) so their
    open alerts can resolve.
    """
    step = FREQS[rule.freq]
    current = pd.Timestamp(now).tz_convert("UTC").floor(rule.freq) - step  # latest complete bucket
    t = trends[(trends["subject_type"] == rule.subject_type)
               & (trends["bucket_start"] >= current - step * rule.window) & (trends["bucket_start"] <= current)]
    if rule.subjects:
        t = t[t["subject"].isin(rule.subjects)]
    cur = t[t["bucket_start"] == current].set_index("subject")
    base = t[t["bucket_start"] < current]
    if cur.empty or base.empty:
        return []
    with_items = base[base["volume"] > 0]
    n_base = with_items.groupby("subject").size()
    col = {"negative_share": "neg_share", "sentiment_drop": "mean_sentiment", "volume_spike": "volume",
           "negative_storm": "neg_items"}[rule.kind]
    if rule.kind == "negative_storm":  # negative items per bucket
        base = base.assign(neg_items=base["volume"] * base["neg_share"].fillna(0.0))
    stats_src = base if rule.kind in ("volume_spike", "negative_storm") else with_items  # quiet buckets: 0
    grouped = stats_src.groupby("subject")[col]
    mu, sd = grouped.mean(), grouped.std(ddof=0).fillna(0.0)
    label_of = (lambda subj: "all coverage") if rule.subject_type == "all" else \
        (lambda subj: f"{rule.subject_type} {subj!r}")
    when = current.strftime("%Y-%m-%d %H:%M")
    out = []
    for subject, row in cur.sort_index().iterrows():
        if n_base.get(subject, 0) < rule.min_baseline:
            continue
        m, d, volume = float(mu.get(subject, 0.0)), float(sd.get(subject, 0.0)), int(row["volume"])
        label = label_of(subject)
        if rule.kind == "negative_storm":  # no history (a newly discovered name) is a baseline of 0
            share = 0.0 if pd.isna(row["neg_share"]) else float(row["neg_share"])
            value = float(round(volume * share))
            threshold = max(m + rule.k * d, rule.min_ratio * m, float(rule.min_volume))
            firing = value >= threshold and (value > m + rule.k * d or m == 0) and share >= rule.min_share
            msg = (f"{label}: {value:.0f} negative items of {volume} ({_pct(share)}) in bucket {when} "
                   + (f"vs baseline {m:.1f}±{d:.1f}" if n_base.get(subject, 0) else "(no earlier coverage)"))
        elif rule.kind == "volume_spike":
            threshold = max(m + rule.k * d, rule.min_ratio * m, float(rule.min_volume))
            value, firing = float(volume), volume >= rule.min_volume and volume > threshold
            msg = f"{label}: {volume} items in bucket {when} vs baseline {m:.1f}±{d:.1f}"
        else:
            value = float(row[col]) if volume >= rule.min_volume and not pd.isna(row[col]) else float("nan")
            margin = max(rule.k * d, rule.min_delta)
            if rule.kind == "negative_share":
                threshold = m + margin
                firing = not np.isnan(value) and value > threshold
                msg = (f"{label}: negative share {_pct(value)} in bucket {when} ({volume} items) "
                       f"vs baseline {_pct(m)}")
            else:
                threshold = m - margin
                firing = not np.isnan(value) and value < threshold
                shown = "n/a" if np.isnan(value) else f"{value:+.2f}"
                msg = f"{label}: mean sentiment {shown} in bucket {when} ({volume} items) vs baseline {m:+.2f}"
        out.append(Evaluation(rule.name, rule.subject_type, str(subject), current, bool(firing), value, m,
                              threshold, volume, msg))
    return out


def _pct(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.0f}%"


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(name="negative-surge-all", kind="negative_share", subject_type="all", window=14, min_baseline=7,
         k=2.0, min_volume=8, min_delta=0.08, severity="critical"),
    Rule(name="negative-surge-topic", kind="negative_share", subject_type="topic", window=14, min_baseline=5,
         k=2.0, min_volume=5, min_delta=0.15, severity="warning"),
    Rule(name="volume-spike-topic", kind="volume_spike", subject_type="topic", window=14, min_baseline=5,
         k=3.0, min_volume=6, min_ratio=2.5, severity="info"),
    Rule(name="sentiment-drop-entity", kind="sentiment_drop", subject_type="entity", window=14, min_baseline=3,
         k=2.0, min_volume=2, min_delta=0.3, severity="warning"),
    # Discovered companies and people first appear with no history: judged on their own negative coverage.
    Rule(name="negative-storm-entity", kind="negative_storm", subject_type="entity", window=14, min_baseline=0,
         k=3.0, min_volume=3, min_ratio=2.0, min_share=0.6, severity="warning"),
)
