"""bench/gpu.sh runs end to end: here (no accelerator) its CPU fallback, writing one JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("VERTICALS_DATA"), reason="VERTICALS_DATA not set")
def test_gpu_script_cpu_fallback_writes_one_report(tmp_path):
    import torch

    env = {**os.environ, "PYTHON": sys.executable, "VERTICALS_HOME": str(tmp_path / "home")}
    run = subprocess.run(["bash", str(ROOT / "bench" / "gpu.sh"), str(tmp_path / "out")], check=False, env=env,
                         capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "gpu.json").read_text())
    assert report["mode"] == ("cuda" if torch.cuda.is_available() else "cpu")
    steps = report["steps"]
    assert steps["throughput_minilm"]["rc"] == 0, steps["throughput_minilm"].get("log_tail")
    tp = steps["throughput_minilm"]["result"]
    assert tp["core"] > 0 and tp["hf_tuned"] > 0 and tp["ratio_tuned"] == pytest.approx(tp["core"] / tp["hf_tuned"])
    assert steps["mpnet_recipes"]["rc"] == 0, steps["mpnet_recipes"].get("log_tail")
    trec = steps["mpnet_recipes"]["result"]["trec6"]
    assert 0 <= trec["default"]["accuracy"] <= 1 and 0 <= trec["tfidf_lr"]["accuracy"] <= 1
    assert trec["default"]["recipe"]["used"]["epochs"] == 1
