"""DistributedDataParallel for real: 2 processes on the CPU (gloo) against one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.core.conftest import separable_frame

ARGS = ["finetune", "--method", "head", "--epochs", "25", "--patience", "25", "--name", "ddp", "--lr", "0.01"]


def train(tmp_path, tag: str, launcher: list[str], batch_size: int):
    home = tmp_path / tag
    env = {**os.environ, "VERTICALS_HOME": str(home), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([*launcher, "-m", "shared.cli.main", *ARGS, "--data", str(tmp_path / "d.csv"),
                          "--batch-size", str(batch_size)],
                         check=False, capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    versions = sorted((home / "registry" / "ddp").glob("v*"))
    return versions, json.loads((versions[-1] / "card.json").read_text())


def test_two_process_ddp_matches_single_process(tmp_path):
    separable_frame(40).to_csv(tmp_path / "d.csv", index=False)
    _single_versions, single = train(tmp_path, "single", [sys.executable], batch_size=16)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29533"]
    ddp_versions, ddp = train(tmp_path, "ddp", torchrun, batch_size=8)  # 2 × 8 = the same global batch
    assert len(ddp_versions) == 1, "only rank 0 may write artifacts"
    assert ddp["training"]["world_size"] == 2 and single["training"]["world_size"] == 1
    assert ddp["metrics"]["accuracy"] == pytest.approx(single["metrics"]["accuracy"], abs=0.05)
    assert ddp["training"]["history"][-1]["train_loss"] == pytest.approx(
        single["training"]["history"][-1]["train_loss"], rel=0.5, abs=0.05)
