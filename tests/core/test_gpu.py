"""GPU paths: bf16 autocast and the fused optimizer. Skipped with a reason on machines without CUDA."""

from __future__ import annotations

import pytest
import torch

from shared import device as device_mod
from shared.device import autocast, pick_device
from shared.training.optim import build_optimizer

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("native", [True, False])
def test_cpu_precision_auto_follows_native_bf16(monkeypatch, native):
    """'auto' on CPU is bf16 only where the chip multiplies bf16 natively; 'fp32' always stays fp32."""
    monkeypatch.setattr(device_mod, "cpu_has_native_bf16", lambda: native)
    cpu = torch.device("cpu")
    with autocast(cpu):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == (torch.bfloat16 if native else torch.float32)
    with autocast(cpu, "fp32"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    with autocast(cpu, "bf16"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


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
