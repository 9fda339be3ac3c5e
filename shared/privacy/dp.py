"""DP-SGD for the core trainer: per-sample clipping, Gaussian noise calibrated to a target ε over the
planned epochs, and Poisson sampling, all through opacus.

What is supported: methods "head", "lora" and "topk" as they are; "full" with the encoder's position and
token-type embedding tables and BERT's (unused) pooler frozen: opacus cannot compute per-sample
gradients for the tables (HF models add one shared `(1, seq)` position row to every example) and
fails on a trainable parameter that receives no gradient (so every trainable parameter must be used
in the loss). Models with BatchNorm, or other layers opacus cannot give per-sample gradients, are
refused by `check_supported` before training.

opacus is imported inside the functions: importing it calls `logging.basicConfig`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.errors import ConfigError
from shared.privacy.config import PrivacyConfig

if TYPE_CHECKING:
    import torch
    from torch import nn
    from torch.utils.data import DataLoader

log = logging.getLogger(__name__)

SUPPORTED_METHODS = ("head", "lora", "topk", "full")
# Parameters frozen under DP for method "full". Position and token-type tables: HF adds one shared row
# per position to every example, so opacus cannot split their gradient per sample. BERT's pooler: our
# heads read mean-pooled states, so it gets no gradient at all, and opacus fails on a trainable
# parameter without a per-sample gradient.
FROZEN_UNDER_DP = ("position_embeddings", "token_type_embeddings", "pooler.")


@dataclass
class PrivateTraining:
    """What the trainer uses instead of its own model/optimizer/loader while training privately.

    `model` is the caller's model itself (opacus hooks are attached to it, it is not wrapped), so saving,
    early-stopping snapshots and checkpoints keep their usual parameter names.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    data_loader: DataLoader
    engine: Any
    delta: float
    noise_multiplier: float
    sample_rate: float
    frozen: list[str] = field(default_factory=list)
    hooks: Any = None

    def spent_epsilon(self) -> float:
        """ε spent so far at this run's δ (0.0 before the first step)."""
        if self.steps == 0:
            return 0.0
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Optimal order is the")
            return float(self.engine.get_epsilon(self.delta))

    @property
    def steps(self) -> int:
        history = getattr(self.engine.accountant, "history", None)
        if history is not None:  # rdp / prv: [(noise_multiplier, sample_rate, steps), ...]
            return sum(int(h[2]) for h in history)
        return int(getattr(self.engine.accountant, "steps", 0) or 0)

    def step_on_empty_batch(self) -> None:
        """Take the noise-only step an empty Poisson batch stands for.

        The privacy analysis counts every sampling round. Skipping the round entirely would reveal that
        nobody was sampled (which depends on who is in the data) and would leave it out of the
        accounting, so instead: no forward pass, zero clipped gradient, the usual noise, one step.
        """
        import torch

        for p in self.model.parameters():
            if p.requires_grad:
                p.grad_sample = torch.zeros((0, *p.shape), dtype=p.dtype, device=p.device)  # type: ignore[attr-defined]  # opacus' attribute
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def detach(self) -> None:
        """Remove opacus' hooks from the model (e.g. before serving it)."""
        if self.hooks is not None and hasattr(self.hooks, "cleanup"):
            self.hooks.cleanup()
            self.hooks = None


def is_empty_batch(batch: Any) -> bool:
    """True for the zero-row batches Poisson sampling produces (tensor, dict or list/tuple of tensors)."""
    if batch is None:
        return True
    if hasattr(batch, "shape"):
        return len(batch.shape) == 0 or batch.shape[0] == 0
    if isinstance(batch, Mapping):
        return not batch or any(is_empty_batch(v) for v in batch.values() if hasattr(v, "shape"))
    if isinstance(batch, (list, tuple)):
        return not batch or is_empty_batch(batch[0])
    return False


def check_supported(method: str, model: nn.Module | None = None) -> None:
    """Raise ConfigError when DP-SGD cannot train `method` (or this `model`), before any data is read."""
    if method not in SUPPORTED_METHODS:
        raise ConfigError(
            f"Method {method!r} is not supported with differential privacy: use one of "
            f"{', '.join(SUPPORTED_METHODS)}."
        )
    if model is None:
        return
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    if not trainable:
        raise ConfigError("DP training needs at least one trainable parameter; the model has none.")
    from opacus.validators import ModuleValidator

    errors = ModuleValidator.validate(model, strict=False)
    if errors:
        details = "; ".join(str(e) for e in errors[:3])
        raise ConfigError(
            f"This model has layers DP-SGD cannot train per sample ({details}). Use method 'lora' or "
            "'head', or a model without such layers (e.g. LayerNorm instead of BatchNorm)."
        )


def freeze_for_dp(model: nn.Module) -> list[str]:
    """Freeze parameters opacus cannot give per-sample gradients (shared position rows); returns their names."""
    frozen = []
    for name, p in model.named_parameters():
        if p.requires_grad and any(part in name for part in FROZEN_UNDER_DP):
            p.requires_grad_(False)
            frozen.append(name)
    return frozen


def make_private(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data_loader: DataLoader,
    config: PrivacyConfig,
    epochs: int,
    noise_generator: torch.Generator | None = None,
    poisson_generator: torch.Generator | None = None,
) -> PrivateTraining:
    """Attach DP-SGD to a model and optimizer and swap the loader for a Poisson-sampled one.

    Noise is calibrated so that `epochs` passes (each of `len(data_loader)` expected steps, sample rate
    `1 / len(data_loader)`) spend exactly the target ε at δ = `config.delta_for(n)`. The optimizer must
    have been built over the model's trainable parameters. Every step of the returned optimizer is
    accounted: train for at most `epochs` epochs of the returned loader.
    """
    if epochs < 1:
        raise ConfigError(f"DP training needs epochs >= 1 to calibrate noise, got {epochs!r}.")
    n = len(data_loader.dataset)  # type: ignore[arg-type]
    delta = config.delta_for(n)
    frozen = freeze_for_dp(model)
    if frozen:
        log.info("DP: froze %d shared-embedding parameter(s): %s", len(frozen), ", ".join(frozen))
    check_supported("full", model)  # the layer checks; the method was checked by the caller
    _drop_frozen_from_optimizer(optimizer)
    model.train()  # transformers 5 loads in eval mode; opacus needs train mode to attach its hooks

    from opacus import PrivacyEngine

    # Known-harmless warnings, silenced so they do not bury the training log: opacus' reminder that
    # secure_mode is off (a config field documents it) and its RDP alpha-range hint during calibration.
    # torch's "full backward hook ... no inputs require gradients" fires on every step for the first
    # adapted layer (frozen embeddings below it); it is filtered process-wide, by its exact text only.
    warnings.filterwarnings("ignore", message="Full backward hook is firing when gradients are computed")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Secure RNG turned off")
        warnings.filterwarnings("ignore", message="Optimal order is the")
        engine = PrivacyEngine(accountant=config.accountant, secure_mode=config.secure_mode)
        hooks, dp_optimizer, _ = engine.make_private_with_epsilon(
            module=model,
            optimizer=optimizer,
            data_loader=data_loader,
            target_epsilon=float(config.epsilon),
            target_delta=delta,
            epochs=int(epochs),
            max_grad_norm=float(config.max_grad_norm),
            poisson_sampling=False,  # the Poisson loader is built below, for any item type
            grad_sample_mode=config.grad_sample_mode,
            noise_generator=noise_generator,
            wrap_model=False,
        )
    sample_rate = 1 / len(data_loader)  # what opacus calibrated the noise and accountant for
    if hasattr(hooks, "forbid_grad_accumulation"):
        hooks.forbid_grad_accumulation()  # Poisson batches must not be accumulated across steps
    dp_loader = poisson_loader(data_loader, sample_rate, generator=engine.secure_rng or poisson_generator)
    log.info(
        "DP-SGD: target ε=%.3g at δ=%.3g over %d epoch(s); noise multiplier %.3f, sample rate %.4f",
        config.epsilon,
        delta,
        epochs,
        dp_optimizer.noise_multiplier,
        sample_rate,
    )
    return PrivateTraining(
        model=model,
        optimizer=dp_optimizer,
        data_loader=dp_loader,
        engine=engine,
        delta=delta,
        noise_multiplier=float(dp_optimizer.noise_multiplier),
        sample_rate=sample_rate,
        frozen=frozen,
        hooks=hooks,
    )


class _EmptySafeCollate:
    """The loader's own collate for non-empty batches; `{}` (falsy) for an empty Poisson draw.

    opacus' own DPDataLoader infers empty-batch shapes by iterating `dataset[0]`, which fails for
    dataclass items such as the core's encoded examples; an empty mapping works for any item type.
    A class, not a closure, so loaders with worker processes can pickle it.
    """

    def __init__(self, collate_fn: Any) -> None:
        self.collate_fn = collate_fn

    def __call__(self, items: list[Any]) -> Any:
        return self.collate_fn(items) if items else {}


def poisson_loader(
    data_loader: DataLoader, sample_rate: float, generator: torch.Generator | None = None
) -> DataLoader:
    """A loader drawing each row independently with probability `sample_rate`, `1/sample_rate` times
    per epoch: the sampling the privacy accountant assumes. Batch sizes vary and may be 0."""
    from opacus.utils.uniform_sampler import UniformWithReplacementSampler
    from torch.utils.data import DataLoader

    dataset = data_loader.dataset
    sampler = UniformWithReplacementSampler(
        num_samples=len(dataset),  # type: ignore[arg-type]
        sample_rate=sample_rate,
        generator=generator,
    )
    return DataLoader(
        dataset,
        batch_sampler=sampler,
        collate_fn=_EmptySafeCollate(data_loader.collate_fn),
        num_workers=data_loader.num_workers,
        pin_memory=data_loader.pin_memory,
    )


def _drop_frozen_from_optimizer(optimizer: torch.optim.Optimizer) -> None:
    # opacus expects a per-sample gradient for every parameter the optimizer holds.
    for group in optimizer.param_groups:
        group["params"] = [p for p in group["params"] if p.requires_grad]
