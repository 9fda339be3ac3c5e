"""The steps every task pipeline shares (shared/tasks/pipeline.py), on a toy module and a real registry."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from shared.card import ModelCard
from shared.config import LoraSettings, TrainConfig
from shared.registry import Registry
from shared.tasks import pipeline
from shared.training import distributed
from shared.training.trainer import FitResult


class ToyEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(3))  # 20 parameters each


class Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = ToyEncoder()
        self.query = nn.Linear(4, 4)  # the LoRA target
        self.head = nn.Linear(4, 2)   # 10 parameters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.encoder.layers:
            x = layer(x)
        return self.head(self.query(x))


def test_adapt_full_keeps_every_parameter_training():
    toy = Toy()
    assert pipeline.adapt(toy, "full", TrainConfig(), "toy") is toy
    assert pipeline.trainable(toy, "full") == (90, 90)


def test_adapt_topk_unfreezes_only_the_last_layers_of_the_encoder():
    toy = Toy()
    trained = pipeline.adapt(toy, "topk", TrainConfig(topk_layers=1), "toy", encoder=toy.encoder)
    assert trained is toy
    # the last encoder layer (20) plus everything outside the encoder (query 20 + head 10)
    assert pipeline.trainable(trained, "topk") == (50, 90)
    assert not any(p.requires_grad for p in toy.encoder.layers[0].parameters())


def test_adapt_lora_wraps_the_targets_and_trains_the_saved_modules():
    config = TrainConfig(lora=LoraSettings(r=2, target_modules=("query",)))
    trained = pipeline.adapt(Toy(), "lora", config, "toy", modules_to_save=["head"])
    n_train, n_all = pipeline.trainable(trained, "lora")
    # LoRA A (2x4) + B (4x2) on `query`, and a trainable copy of the head (10)
    assert n_train == 8 + 8 + 10
    assert n_all == 90 + 16 + 10
    assert trained(torch.ones(1, 4)).shape == (1, 2)


def test_training_record_puts_task_entries_first():
    fit = FitResult(best_metric=0.9, best_epoch=2, epochs_run=3, stopped_early=True,
                    history=[{"epoch": 1.0}], samples_per_second=12.345)
    record = pipeline.training_record(fit, torch.device("cpu"), recipe={"chosen": "lora"}, search=None)
    assert list(record) == ["recipe", "search", "epochs_run", "best_epoch", "stopped_early",
                            "samples_per_second", "history", "device", "world_size"]
    assert record["samples_per_second"] == 12.3
    assert (record["device"], record["world_size"], record["best_epoch"]) == ("cpu", 1, 2)


def _card(name: str) -> ModelCard:
    return ModelCard(name=name, task="classification", base_model="minilm", method="full", metrics={"accuracy": 1.0})


def test_publish_writes_model_evaluation_and_card_as_the_next_version(tmp_path):
    registry = Registry(tmp_path)
    published = pipeline.publish("toy", _card("toy"), lambda staged: (staged / "weights.bin").write_bytes(b"w"),
                                 {"accuracy": 1.0}, "all right", registry=registry, promote=True)
    assert published is not None
    version, folder = published
    assert version == "v0001" and registry.current_version("toy") == "v0001"
    assert folder == registry.path("toy", "v0001")
    assert (folder / "weights.bin").read_bytes() == b"w"
    assert json.loads((folder / "evaluation.json").read_text()) == {"accuracy": 1.0}
    assert (folder / "evaluation.txt").read_text() == "all right\n"
    assert registry.card("toy").metrics == {"accuracy": 1.0}


def test_publish_leaves_nothing_when_saving_fails(tmp_path):
    registry = Registry(tmp_path)

    def broken(staged):
        (staged / "weights.bin").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        pipeline.publish("toy", _card("toy"), broken, {}, "", registry=registry, promote=True)
    assert "toy" not in registry.names()
    assert not any((tmp_path / ".staging").iterdir())


def test_publish_on_a_non_main_rank_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "rank", lambda: 1)
    registry = Registry(tmp_path)
    assert pipeline.publish("toy", _card("toy"), lambda staged: None, {}, "", registry=registry,
                            promote=True) is None
    assert "toy" not in registry.names()
