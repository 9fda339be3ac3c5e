"""Trend buckets and rule evaluation on hand-built frames with a fixed `now`."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from finance_monitor.errors import RuleError
from finance_monitor.rules import Rule, evaluate, rules_from_yaml
from finance_monitor.trends import bucket_items, bucketize, memberships

UTC = timezone.utc


def scored(rows: list[tuple]) -> pd.DataFrame:
    """rows: (item_id, iso time, sentiment value, label, topic, entities)."""
    return pd.DataFrame(rows, columns=["item_id", "published_at", "sentiment", "sentiment_label", "topic", "entities"]) \
        .assign(published_at=lambda d: pd.to_datetime(d["published_at"], utc=True), custom_topic=None)


def test_memberships_and_daily_buckets():
    df = scored([
        (1, "2020-03-01T09:00", 0.5, "positive", "oil", ["BP"]),
        (2, "2020-03-01T15:00", -0.8, "negative", "oil", []),
        (3, "2020-03-03T10:00", -0.4, "negative", "banks", ["BP", "HSBC"]),
        (4, "2020-03-04T10:00", 0.9, "positive", "oil", []),  # after `now`: ignored
    ])
    now = datetime(2020, 3, 3, 12, tzinfo=UTC)
    t = bucketize(memberships(df), "1D", now)
    oil = t[(t.subject_type == "topic") & (t.subject == "oil")].set_index("bucket_start")
    assert oil["volume"].tolist() == [2, 0, 0]  # gap days filled with zero volume
    assert oil["mean_sentiment"].iloc[0] == pytest.approx(-0.15)
    assert oil["neg_share"].iloc[0] == pytest.approx(0.5)
    assert oil["complete"].tolist() == [True, True, False]
    allc = t[t.subject_type == "all"].set_index("bucket_start")
    assert allc["volume"].tolist() == [2, 0, 1]
    bp = t[(t.subject_type == "entity") & (t.subject == "BP")]
    assert bp["volume"].sum() == 2 and set(t[t.subject_type == "entity"].subject) == {"BP", "HSBC"}
    assert bucket_items(memberships(df), "1D", "topic", "oil", pd.Timestamp("2020-03-01", tz="UTC")) == [2, 1]


def test_hourly_buckets_and_bad_freq():
    df = scored([(1, "2020-03-01T09:10", 0.1, "neutral", "oil", []), (2, "2020-03-01T09:50", -0.9, "negative", "oil", []),
                 (3, "2020-03-01T11:05", 0.2, "neutral", "oil", [])])
    t = bucketize(memberships(df), "1h", datetime(2020, 3, 1, 11, 30, tzinfo=UTC))
    oil = t[t.subject == "oil"]
    assert oil["volume"].tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="unknown bucket size"):
        bucketize(memberships(df), "5min", datetime(2020, 3, 2, tzinfo=UTC))


def trend_frame(subject: str, neg: list[float], vol: list[int], sent: list[float] | None = None,
                start: str = "2020-03-01") -> pd.DataFrame:
    n = len(neg)
    return pd.DataFrame({
        "subject_type": "topic", "subject": subject,
        "bucket_start": pd.date_range(start, periods=n, freq="1D", tz="UTC"),
        "volume": vol, "neg_share": neg, "mean_sentiment": sent or [0.0] * n, "complete": True,
    })


NOW = datetime(2020, 3, 11, 6, tzinfo=UTC)  # latest complete daily bucket: 2020-03-10 (index 9)


def test_negative_share_k_sigma_with_min_volume():
    base = [0.10, 0.12, 0.08, 0.10, 0.11, 0.09, 0.10, 0.12, 0.08]
    frame = pd.concat([trend_frame("oil", base + [0.45], [10] * 10),
                       trend_frame("banks", base + [0.45], [10] * 9 + [3]),  # too few items that day
                       trend_frame("ship", base + [0.14], [10] * 10)])  # within k·sd
    rule = Rule(name="neg", kind="negative_share", window=9, min_baseline=5, k=2, min_volume=5, min_delta=0.05)
    ev = {e.subject: e for e in evaluate(rule, frame, NOW)}
    assert ev["oil"].firing and ev["oil"].value == pytest.approx(0.45)
    assert ev["oil"].baseline == pytest.approx(sum(base) / 9)
    assert ev["oil"].bucket_start == pd.Timestamp("2020-03-10", tz="UTC")
    assert not ev["banks"].firing and not ev["ship"].firing
    assert "negative share 45%" in ev["oil"].message


def test_short_history_is_not_judged_and_subjects_filter():
    frame = trend_frame("oil", [0.1, 0.1, 0.9], [10, 10, 10], start="2020-03-08")
    rule = Rule(name="neg", kind="negative_share", window=7, min_baseline=5)
    assert evaluate(rule, frame, NOW) == []
    frame = pd.concat([trend_frame("oil", [0.1] * 9 + [0.9], [10] * 10), trend_frame("gas", [0.1] * 9 + [0.9], [10] * 10)])
    only = Rule(name="neg", kind="negative_share", subjects=("gas",))
    assert [e.subject for e in evaluate(only, frame, NOW)] == ["gas"]


def test_volume_spike_and_sentiment_drop():
    frame = trend_frame("oil", [0.1] * 10, [4, 5, 6, 5, 4, 5, 6, 5, 5, 30],
                        sent=[0.2, 0.25, 0.15, 0.2, 0.22, 0.18, 0.2, 0.21, 0.19, -0.4])
    spike = Rule(name="spike", kind="volume_spike", window=9, min_baseline=5, k=3, min_volume=6, min_ratio=2)
    drop = Rule(name="drop", kind="sentiment_drop", window=9, min_baseline=5, k=2, min_volume=5, min_delta=0.3)
    (s,), (d,) = evaluate(spike, frame, NOW), evaluate(drop, frame, NOW)
    assert s.firing and s.value == 30 and s.baseline == pytest.approx(5.0)
    assert d.firing and d.value == pytest.approx(-0.4) and d.threshold == pytest.approx(0.2 - 0.3, abs=1e-6)
    calm = trend_frame("oil", [0.1] * 10, [5] * 10, sent=[0.2] * 9 + [0.0])
    assert not evaluate(drop, calm, NOW)[0].firing  # a 0.2 drop is below min_delta 0.3


def test_rule_validation_and_yaml(tmp_path):
    with pytest.raises(RuleError, match="kind 'spike!'"):
        Rule(name="x", kind="spike!")
    with pytest.raises(RuleError, match="freq '5m'"):
        Rule(name="x", kind="volume_spike", freq="5m")
    with pytest.raises(RuleError, match="unknown field"):
        Rule.from_dict({"name": "x", "kind": "volume_spike", "treshold": 3})
    good = tmp_path / "rules.yaml"
    good.write_text("rules:\n  - name: oil-neg\n    kind: negative_share\n    subjects: oil\n    k: 1.5\n"
                    "  - {name: spikes, kind: volume_spike, subject_type: entity}\n")
    rules = rules_from_yaml(good)
    assert [r.name for r in rules] == ["oil-neg", "spikes"] and rules[0].subjects == ("oil",) and rules[0].k == 1.5
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {name: a, kind: volume_spike}\n  - {name: a, kind: negative_share}\n")
    with pytest.raises(RuleError, match="duplicate rule names"):
        rules_from_yaml(bad)
    (tmp_path / "broken.yaml").write_text("rules: [\n")
    with pytest.raises(RuleError, match="not valid YAML"):
        rules_from_yaml(tmp_path / "broken.yaml")


def test_negative_storm_judges_a_newly_discovered_entity_without_history():
    """A name first seen today with 4 of 5 items negative fires (no baseline needed); a name always covered that
    negatively does not; a new name with mostly neutral coverage does not; min_baseline 0 is for storms only."""
    frame = pd.concat([
        trend_frame("Wirecard", [0.8], [5], start="2020-03-10"),                      # new today, 4 negative
        trend_frame("Bank of England", [0.6] * 10, [5] * 10),                         # 3 negative every day
        trend_frame("Tesco", [0.2], [5], start="2020-03-10"),                         # new, 1 negative of 5
        trend_frame("Flybe", [0.0] * 9 + [1.0], [1] * 9 + [3]),                       # quiet, then 3 of 3
    ]).assign(subject_type="entity")
    rule = Rule(name="storm", kind="negative_storm", subject_type="entity", window=9, min_baseline=0, k=3,
                min_volume=3, min_ratio=2, min_share=0.6)
    ev = {e.subject: e for e in evaluate(rule, frame, NOW)}
    assert ev["Wirecard"].firing and ev["Wirecard"].value == 4 and "no earlier coverage" in ev["Wirecard"].message
    assert not ev["Bank of England"].firing and ev["Bank of England"].baseline == pytest.approx(3.0)
    assert not ev["Tesco"].firing
    assert ev["Flybe"].firing and ev["Flybe"].baseline == pytest.approx(0.0)
    with pytest.raises(RuleError, match=r"min_baseline must be in \[1, window\]"):
        Rule(name="x", kind="negative_share", min_baseline=0)
    with pytest.raises(RuleError, match="min_share"):
        Rule(name="x", kind="negative_storm", min_baseline=0, min_share=1.5)
