"""The `verticals` command line, run as a user runs it: a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.core.conftest import separable_frame


def run(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "VERTICALS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "shared.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=300, check=False)


def test_finetune_predict_and_list(tmp_path):
    data = tmp_path / "topics.csv"
    separable_frame().rename(columns={"text": "sentence", "label": "topic"}).to_csv(data, index=False)
    out = run("finetune", "--data", str(data), "--text-col", "sentence", "--label-col", "topic",
              "--method", "head", "--epochs", "30", "--patience", "30", "--name", "topics", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "topics v0001" in out.stdout and "accuracy" in out.stdout
    pred = run("predict", "--name", "topics", "goal striker match", "profit dividend shares", home=tmp_path)
    assert pred.returncode == 0, pred.stderr
    assert [line.split("\t")[0] for line in pred.stdout.strip().splitlines()] == ["sport", "market"]
    listing = run("models", "list", home=tmp_path)
    assert "* topics" in listing.stdout


def test_bad_input_is_one_clear_line(tmp_path):
    out = run("finetune", "--data", str(tmp_path / "missing.csv"), "--name", "x", home=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error:") and "does not exist" in out.stderr
    assert "Traceback" not in out.stderr
