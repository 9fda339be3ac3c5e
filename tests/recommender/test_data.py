"""Loaders with column mapping, the validation report, and clear errors for bad files and settings."""

import json

import pandas as pd
import pytest

from recommender.config import BlendConfig, CandidateConfig, DiversityConfig, EventWeights, RecConfig
from recommender.data import InteractionColumns, ItemColumns, load_dataset, normalize_items, read_table
from recommender.errors import RecConfigError, RecDataError

ITEMS = pd.DataFrame({"sku": ["a", "b", "c"], "name": ["Alpha", "Beta", "Gamma"],
                      "blurb": ["first", "second", ""], "cats": ["x|y", "y", ""]})
EVENTS = pd.DataFrame({
    "who": ["u1", "u1", "u1", "u2", "u2", "u3", "u3"],
    "what": ["a", "b", "b", "zzz", "c", "a", "c"],
    "kind": ["view", "purchase", "purchase", "view", "teleport", "click", "view"],
    "when": ["2024-01-01T10:00:00Z", "1704103200", "1704103200", "2024-01-02", "2024-01-03", None, "2024-01-04"],
})
ICOLS = InteractionColumns(user_id="who", item_id="what", timestamp="when", event="kind")
MCOLS = ItemColumns(item_id="sku", title="name", description="blurb", tags="cats", created_at=None)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_loaders_map_columns_and_report_every_problem(tmp_path, fmt):
    ev, it = tmp_path / f"events.{fmt}", tmp_path / f"items.{fmt}"
    for df, path in ((EVENTS, ev), (ITEMS, it)):
        if fmt == "csv":
            df.to_csv(path, index=False)
        elif fmt == "jsonl":
            df.to_json(path, orient="records", lines=True)
        else:
            df.to_parquet(path)
    ds = load_dataset(ev, it, ICOLS, MCOLS)
    r = ds.report
    assert r.n_input == 7 and r.n_clean == 3
    assert r.counts["unknown item id"] == 1
    assert r.counts["duplicate event"] == 1
    assert r.counts["missing timestamp"] == 1
    assert r.counts["unknown event type"] == 1
    assert len(r.rejected) == 4 and set(r.rejected["reason"]) == {
        "unknown item id", "duplicate event", "missing timestamp", "unknown event type"}
    assert "3 of 7 interactions usable" in r.summary()
    purchase = ds.interactions[ds.interactions["event"] == "purchase"]
    assert purchase["weight"].tolist() == [EventWeights().weights["purchase"]]
    assert int(purchase["timestamp"].iat[0]) == 1704103200
    assert ds.items.loc[0, "tags"] == ["x", "y"]
    assert ds.items.loc[0, "text"] == "Alpha. first. x, y"


def test_malformed_and_unsupported_files_give_one_clear_error(tmp_path):
    bad = tmp_path / "events.jsonl"
    bad.write_text('{"who": "u1"\nnot json at all\n')
    with pytest.raises(RecDataError, match="Could not read events.jsonl"):
        read_table(bad)
    with pytest.raises(RecDataError, match="Unsupported file type"):
        (tmp_path / "x.xlsx").write_text("")
        read_table(tmp_path / "x.xlsx")
    with pytest.raises(RecDataError, match="File not found"):
        read_table(tmp_path / "missing.csv")


def test_missing_mapped_column_names_the_column(tmp_path):
    path = tmp_path / "e.csv"
    EVENTS.to_csv(path, index=False)
    items = tmp_path / "i.csv"
    ITEMS.to_csv(items, index=False)
    with pytest.raises(RecDataError, match="user_id \\(mapped to 'user'\\)"):
        load_dataset(path, items, InteractionColumns(user_id="user", item_id="what", timestamp="when"), MCOLS)


def test_catalogue_without_text_or_with_duplicate_ids_is_refused():
    with pytest.raises(RecDataError, match="no text"):
        normalize_items(pd.DataFrame({"item_id": ["a", "b"], "title": ["", None]}))
    with pytest.raises(RecDataError, match="unique"):
        normalize_items(pd.DataFrame({"item_id": ["a", "a"], "title": ["x", "y"]}))


@pytest.mark.parametrize("make", [
    lambda: BlendConfig(text=1.5), lambda: BlendConfig(ranker=-0.1), lambda: BlendConfig(ranker=float("nan")),
    lambda: BlendConfig(ranker=0.0), lambda: DiversityConfig(mmr_lambda=2), lambda: RecConfig(n=0),
    lambda: EventWeights({"view": 0}), lambda: CandidateConfig(text=0, cooccurrence=0, als=0, popularity=0),
])
def test_out_of_range_settings_raise_config_errors(make):
    with pytest.raises(RecConfigError):
        make()


def test_config_dict_roundtrip_and_unknown_keys():
    cfg = RecConfig(blend=BlendConfig(ranker=0.5, text=0.25), diversity=DiversityConfig(0.7), n=12)
    assert RecConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(RecConfigError, match="Not a recommender configuration"):
        RecConfig.from_dict({"blend": {"bogus": 1}})
