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


def test_head_lr_multiplier_scales_only_the_new_head():
    import torch
    from transformers import BertConfig, BertModel

    from shared.modeling.classifier import HeadOnly, TextClassifier
    from shared.training.optim import build_optimizer

    encoder = BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=64, vocab_size=100))
    classifier = TextClassifier(encoder, 3)
    head_ids = {id(p) for p in classifier.head.parameters()}
    optimizer = build_optimizer(classifier, 1e-4, 0.01, torch.device("cpu"), head_lr_multiplier=20.0)
    for group in optimizer.param_groups:
        is_head = {id(p) in head_ids for p in group["params"]}
        assert len(is_head) == 1
        assert group["lr"] == pytest.approx(2e-3 if is_head.pop() else 1e-4)
    # Head-only training has no encoder to be gentle with: its lr is used as given.
    alone = build_optimizer(HeadOnly(classifier), 1e-2, 0.01, torch.device("cpu"), head_lr_multiplier=20.0)
    assert {g["lr"] for g in alone.param_groups} == {1e-2}
    with pytest.raises(ConfigError, match="head_lr_multiplier"):
        OptimConfig(head_lr_multiplier=0)


def test_head_only_models_score_shared_features_like_their_own_pass(tmp_path, separable):
    """Two head-only models on one base share `feature_key`; scoring one's features with the other's head
    equals that model's own predict_proba. A LoRA model (changed encoder) refuses shared features."""
    registry = Registry(tmp_path / "reg")
    cfg = TrainConfig(epochs=5, progress=False, optim=OptimConfig(batch_size=8))
    flipped = separable.assign(label=separable["label"].map({"sport": "b", "market": "a"}))
    finetune(separable, name="one", method="head", config=cfg, registry=registry)
    finetune(flipped, name="two", method="head", config=cfg, registry=registry)
    one, two = load_model("one", registry=registry), load_model("two", registry=registry)
    assert one.feature_key == two.feature_key == ("minilm", "mean", 128)
    feats = one.features(TEXTS)
    assert feats.shape == (2, 384)
    # atol: predict_proba runs the head under bf16 autocast where the CPU has it, the shared path in fp32
    np.testing.assert_allclose(two.predict_proba_from_features(feats), two.predict_proba(TEXTS), atol=1e-3)
    # force: one LoRA epoch on toy data loses to the TF-IDF baseline on dev, and only its wiring matters here
    finetune(separable, name="lora", method="lora", config=TrainConfig(epochs=1, progress=False), registry=registry,
             force=True)
    lora = load_model("lora", registry=registry)
    assert lora.feature_key is None
    with pytest.raises(ConfigError, match="cannot score shared features"):
        lora.predict_proba_from_features(feats)


def test_bf16_autocast_predictions_agree_with_fp32(tmp_path, separable):
    """'auto' precision (bf16 where the CPU has it) must not change what the model predicts."""
    registry = Registry(tmp_path / "reg")
    finetune(separable, name="p", method="head", registry=registry,
             config=TrainConfig(epochs=5, progress=False, optim=OptimConfig(batch_size=8)))
    texts = separable["text"].tolist()
    fp32 = load_model("p", registry=registry, precision="fp32").predict_proba(texts)
    auto = load_model("p", registry=registry, precision="auto").predict_proba(texts)
    assert (fp32.argmax(1) == auto.argmax(1)).all()
    np.testing.assert_allclose(fp32, auto, atol=0.02)
    with pytest.raises(ConfigError, match="Unknown precision 'fp16'"):
        load_model("p", registry=registry, precision="fp16")


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    import pickle

    import torch

    from shared.training.checkpoint import CHECKPOINT, load_checkpoint

    class Planted:
        def __reduce__(self):
            return (print, ("code ran",))

    folder = tmp_path / "ck"
    folder.mkdir()
    torch.save({"model": {}, "payload": Planted()}, folder / CHECKPOINT, pickle_module=pickle)
    with pytest.raises(DataError, match="delete it"):
        load_checkpoint(folder)
