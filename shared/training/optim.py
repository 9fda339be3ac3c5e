"""AdamW with decoupled weight decay (none on biases and norms) and a linear warm-up/decay schedule."""

from __future__ import annotations

import torch
from torch import nn


def build_optimizer(model: nn.Module, lr: float, weight_decay: float, device: torch.device,
                    head_lr_multiplier: float = 1.0) -> torch.optim.AdamW:
    """AdamW over the trainable parameters; a freshly initialised `head` may take a larger step than the
    pretrained encoder it sits on (the encoder's small step would leave it under-trained). A model names its
    freshly initialised parts in `fresh_modules` (default: just `head`)."""
    fresh = set(getattr(model, "fresh_modules", ("head",)))
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    has_body = any(not fresh & set(name.split(".")) for name, _ in trainable)
    for name, p in trainable:
        is_head = has_body and bool(fresh & set(name.split(".")))
        decays = not (p.ndim < 2 or "norm" in name.lower())
        groups.setdefault((is_head, decays), []).append(p)
    param_groups = [{"params": ps, "lr": lr * (head_lr_multiplier if is_head else 1.0),
                     "weight_decay": weight_decay if decays else 0.0} for (is_head, decays), ps in groups.items()]
    # The fused kernel updates all parameters in one pass: on CUDA it avoids one launch per tensor, and on
    # CPU it is ~7x faster than the default per-tensor loop (which otherwise rivals forward+backward).
    return torch.optim.AdamW(param_groups, lr=lr, fused=device.type in ("cuda", "cpu"))


def build_scheduler(optimizer: torch.optim.Optimizer, total_steps: int, warmup_ratio: float) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = int(total_steps * warmup_ratio)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
