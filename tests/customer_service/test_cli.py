"""`verticals bot ...` through typer's CliRunner on a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from customer_service.cli import app


@pytest.fixture
def cli(encoder, monkeypatch, tmp_path):
    import customer_service.workspace as wsmod

    monkeypatch.setattr(wsmod, "load_encoder", lambda name: encoder)  # the session's model, not a reload
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [*args, "--db", db])


def test_create_ingest_ask(cli, tmp_path, faq):
    path = tmp_path / "faq.jsonl"
    faq[["question", "answer", "category"]].to_json(path, orient="records", lines=True)
    assert cli("workspaces", "create", "acme").exit_code == 0
    out = cli("ingest", "acme", str(path))
    assert out.exit_code == 0, out.output
    assert f"faq.jsonl: added, {len(faq)} chunks" in out.output
    assert "faq.jsonl: unchanged" in cli("ingest", "acme", str(path)).output
    res = cli("ask", "acme", "How long does it take to get a building permit?", "What is the best pizza topping?", "--json")
    assert res.exit_code == 0, res.output
    first, second = [json.loads(line) for line in res.output.strip().splitlines()]
    assert first["route"] == "retrieval" and "10 weeks" in first["text"]
    assert second["route"] == "handoff"


def test_errors_are_one_clear_line(cli, tmp_path):
    res = cli("ask", "ghost", "hello")
    assert res.exit_code == 1
    assert "No workspace named 'ghost'" in res.output
    cli("workspaces", "create", "acme")
    bad = tmp_path / "faq.csv"
    bad.write_text("query,reply\nx,y\n")
    res = cli("ingest", "acme", str(bad))
    assert res.exit_code == 1 and "missing the column(s)" in res.output
    assert "Traceback" not in res.output
    res = cli("blend", "acme")  # no intent model: nothing to blend, settings untouched
    assert res.exit_code == 1 and "needs an intent model" in res.output and "Traceback" not in res.output
