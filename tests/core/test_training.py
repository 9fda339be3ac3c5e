"""Real fine-tuning of the packaged MiniLM on a tiny, trivially separable set."""

from __future__ import annotations

import numpy as np
import pytest

from shared.api import finetune, load_model
from shared.config import OptimConfig, TrainConfig
from shared.errors import ConfigError, DataError
from shared.registry import Registry

TEXTS = ["goal striker match league", "profit dividend shares quarter"]


@pytest.mark.parametrize("method, config", [
    ("head", TrainConfig(epochs=30, patience=30, progress=False, optim=OptimConfig(batch_size=8))),
    ("lora", TrainConfig(epochs=6, patience=6, progress=False, optim=OptimConfig(batch_size=8, lr=3e-3))),
])
def test_method_learns_separable_set_and_reloads_identically(tmp_path, separable, method, config):
    registry = Registry(tmp_path / "reg")
    result = finetune(separable, name=f"sep-{method}", method=method, config=config, registry=registry)
    history = result.card.training["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert result.metrics["accuracy"] == 1.0
    assert (result.model_dir / "card.json").exists() and (result.model_dir / "evaluation.txt").exists()
    assert not list(result.model_dir.rglob("*.bin")) and not list(result.model_dir.rglob("*.pt"))
    model = load_model(f"sep-{method}", registry=registry)
    preds = model.predict(TEXTS)
    assert [p.label for p in preds] == ["sport", "market"]
    again = load_model(f"sep-{method}", registry=registry).predict_proba(TEXTS)
    np.testing.assert_allclose(model.predict_proba(TEXTS), again, atol=1e-6)
    np.testing.assert_allclose(again.sum(1), 1.0, atol=1e-5)


def test_topk_trains_only_the_top_layers(tmp_path, separable):
    result = finetune(separable, name="sep-topk", method="topk", registry=Registry(tmp_path),
                      config=TrainConfig(epochs=1, topk_layers=1, progress=False))
    hp = result.card.hyperparameters
    assert 0 < hp["trainable_params"] < hp["total_params"] / 2
    assert (result.model_dir / "encoder" / "model.safetensors").exists()


def test_checkpoint_resume_continues_after_the_last_epoch(tmp_path, separable):
    registry = Registry(tmp_path / "reg")
    config = TrainConfig(epochs=2, patience=5, progress=False)
    first = finetune(separable, name="ck", method="head", config=config, registry=registry,
                     checkpoint_dir=tmp_path / "ck")
    assert first.card.training["epochs_run"] == 2
    more = TrainConfig(epochs=4, patience=5, progress=False)
    resumed = finetune(separable, name="ck", method="head", config=more, registry=registry,
                       checkpoint_dir=tmp_path / "ck", resume=True)
    epochs = [row["epoch"] for row in resumed.card.training["history"]]
    assert epochs == [1, 2, 3, 4]


def test_bad_inputs_fail_before_training(tmp_path, separable):
    registry = Registry(tmp_path)
    with pytest.raises(ConfigError, match="Unknown method 'magic'"):
        finetune(separable, name="x", method="magic", registry=registry)
    with pytest.raises(DataError, match="no column 'sentence'"):
        finetune(separable, name="x", text_col="sentence", registry=registry)
    with pytest.raises(DataError, match="single label"):
        finetune(separable.assign(label="a"), name="x", registry=registry)
    with pytest.raises(ConfigError, match="epochs must be >= 1"):
        TrainConfig(epochs=0)
    assert registry.names() == []
