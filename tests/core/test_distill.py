"""Distillation: the loss, the teacher's soft targets, and a real MiniLM student taught by a registered teacher."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from shared.api import finetune, load_model
from shared.config import DistillConfig, OptimConfig, TrainConfig
from shared.errors import ConfigError
from shared.registry import Registry
from shared.tasks.classification.distill import distill_loss


def test_distill_loss_mixes_soft_and_hard_targets():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    labels = torch.tensor([0, 2])
    own = F.softmax(logits / 2.0, dim=1)
    assert distill_loss(logits, labels, own, alpha=0.0, temperature=2.0) == pytest.approx(
        float(F.cross_entropy(logits, labels)))
    assert float(distill_loss(logits, labels, own, alpha=1.0, temperature=2.0)) == pytest.approx(0.0, abs=1e-6)
    other = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert float(distill_loss(logits, labels, other.clamp(min=1e-6), alpha=1.0, temperature=2.0)) > 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"teacher": " "}, "needs a teacher"),
    ({"teacher": "t", "alpha": 1.5}, "alpha must be in"),
    ({"teacher": "t", "temperature": 0}, "temperature must be > 0"),
])
def test_bad_distill_settings(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DistillConfig(**kwargs)


def test_student_learns_from_a_registered_teacher(tmp_path, separable):
    registry = Registry(tmp_path / "reg")
    teacher = finetune(separable, name="teacher", method="head", registry=registry,
                       config=TrainConfig(epochs=20, patience=20, progress=False, optim=OptimConfig(batch_size=8)))
    cfg = TrainConfig(epochs=4, patience=4, progress=False, optim=OptimConfig(batch_size=8, lr=3e-3))
    student = finetune(separable, name="student", method="lora", config=cfg, registry=registry,
                       distill=DistillConfig(f"teacher@{teacher.version}", alpha=0.7, temperature=2.0))
    kd = student.card.hyperparameters["distill"]
    assert kd["teacher"] == f"teacher@{teacher.version}" and kd["alpha"] == 0.7
    assert kd["teacher_metrics"]["accuracy"] == teacher.metrics["accuracy"]
    assert student.metrics["accuracy"] == 1.0
    preds = load_model("student", registry=registry).predict(["goal striker match league"])
    assert preds[0].label == "sport"


def test_teacher_with_other_labels_is_refused(tmp_path, separable):
    registry = Registry(tmp_path / "reg")
    other = separable.assign(label=separable["label"].map({"sport": "games", "market": "money"}))
    finetune(other, name="teacher", method="head", registry=registry,
             config=TrainConfig(epochs=2, progress=False))
    with pytest.raises(ConfigError, match="other labels than this data has"):
        finetune(separable, name="student", method="full", registry=registry,
                 config=TrainConfig(epochs=1, progress=False), distill=DistillConfig("teacher"))
    with pytest.raises(ConfigError, match="use method full, topk or lora"):
        finetune(separable, name="student", method="head", registry=registry,
                 config=TrainConfig(epochs=1, progress=False), distill=DistillConfig("teacher"))
    assert "student" not in registry.names()  # nothing half-registered
    np.testing.assert_equal(len(registry.list("teacher")), 1)
