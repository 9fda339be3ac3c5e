"""GPU paths: bf16 autocast and the fused optimizer. Skipped with a reason on machines without CUDA."""

from __future__ import annotations

import pytest
import torch

from shared.device import autocast, pick_device
from shared.training.optim import build_optimizer

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_cpu_stays_fp32():
    device = torch.device("cpu")
    with autocast(device):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32


@pytest.mark.gpu
@cuda
def test_cuda_uses_bf16_and_fused_adamw():
    device = pick_device()
    assert device.type == "cuda"
    layer = torch.nn.Linear(8, 8).to(device)
    with autocast(device):
        assert layer(torch.ones(2, 8, device=device)).dtype == torch.bfloat16
    opt = build_optimizer(layer, 1e-3, 0.01, device)
    assert opt.defaults["fused"] is True


def test_cpu_uses_the_fused_adamw_too():
    layer = torch.nn.Linear(4, 4)
    assert build_optimizer(layer, 1e-3, 0.01, torch.device("cpu")).defaults["fused"] is True
