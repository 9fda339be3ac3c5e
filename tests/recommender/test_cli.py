"""`verticals rec` commands: results, and one clear line (no traceback) for bad input."""

import re

import pytest
from typer.testing import CliRunner

from recommender.cli import app

runner = CliRunner()


@pytest.fixture()
def home(saved_home, monkeypatch):
    monkeypatch.setenv("VERTICALS_HOME", str(saved_home))
    return saved_home


def test_recommend_and_bad_input(home):
    ok = runner.invoke(app, ["recommend", "--user", "u0", "--n", "3"])
    assert ok.exit_code == 0, ok.output
    rows = [line for line in ok.output.splitlines() if re.match(r"\s*\d+\s+\S+-\d", line)]
    assert len(rows) == 3, ok.output
    for args, message in [(["recommend", "--user", "nobody"], "No user with id 'nobody'"),
                          (["recommend", "--user", "u0", "--ranker", "0"], "All blend weights are 0"),
                          (["recommend", "--user", "u0", "--text-weight", "3"], "between 0 and 1"),
                          (["recommend", "--items", "space-0,bogus"], "Unknown item id"),
                          (["recommend"], "Nothing to recommend from")]:
        res = runner.invoke(app, args)
        assert res.exit_code == 1, (args, res.output)
        assert message in res.output and "Traceback" not in res.output


def test_validate_reports_problems_and_refuses_malformed_files(tmp_path, home):
    items = tmp_path / "items.csv"
    items.write_text("item_id,title\na,Alpha\nb,Beta\n")
    events = tmp_path / "events.csv"
    events.write_text("user_id,item_id,event,timestamp\nu,a,view,1\nu,a,view,1\nu,zz,view,2\nu,b,view,\n")
    res = runner.invoke(app, ["validate", "--interactions", str(events), "--items", str(items)])
    assert res.exit_code == 0, res.output
    assert "1 of 4 interactions usable" in res.output and "unknown item id" in res.output
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    res = runner.invoke(app, ["validate", "--interactions", str(bad), "--items", str(items)])
    assert res.exit_code == 1 and "Could not read bad.parquet" in res.output
