"""Fine-tuning methods: which parameters train. Factories take the model; they never load it."""

from __future__ import annotations

from torch import nn

from shared.config import LoraSettings
from shared.errors import ConfigError

# Attention projections to adapt per encoder family (peft's own defaults do not cover all of these).
LORA_TARGETS = {"bert": ("query", "value"), "mpnet": ("q", "v"), "roberta": ("query", "value"),
                "llama": ("q_proj", "v_proj"), "mistral": ("q_proj", "v_proj"), "qwen2": ("q_proj", "v_proj")}


def freeze(module: nn.Module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)


def apply_topk(encoder: nn.Module, k: int) -> None:
    """Freeze the encoder except its last k transformer layers."""
    layers = _layers(encoder)
    if k > len(layers):
        raise ConfigError(f"topk_layers={k} but the encoder has only {len(layers)} layers.")
    freeze(encoder)
    for layer in layers[-k:]:
        for p in layer.parameters():
            p.requires_grad_(True)


def _layers(encoder: nn.Module) -> nn.ModuleList:
    for path in ("encoder.layer", "layers", "model.layers", "transformer.h"):
        obj: object = encoder
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, nn.ModuleList):
            return obj
    raise ConfigError(f"Cannot find transformer layers in {type(encoder).__name__} for method 'topk'.")


def lora_targets(model_type: str, settings: LoraSettings) -> list[str]:
    if settings.target_modules:
        return list(settings.target_modules)
    if model_type not in LORA_TARGETS:
        raise ConfigError(f"No default LoRA targets for model type {model_type!r}: pass target_modules.")
    return list(LORA_TARGETS[model_type])


def apply_lora(model: nn.Module, model_type: str, settings: LoraSettings,
               modules_to_save: list[str] | None = None, task_type: str | None = None) -> nn.Module:
    """Wrap `model` with LoRA adapters; `modules_to_save` (e.g. the head) train fully and save with them."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                        target_modules=lora_targets(model_type, settings),
                        modules_to_save=modules_to_save, task_type=task_type)
    peft_model = get_peft_model(model, config)
    peft_model.train()  # get_peft_model only flips the wrapper's mode
    return peft_model


def count_trainable(model: nn.Module) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())
