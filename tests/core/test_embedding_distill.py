"""Encoder distillation: the loss's limits and masking, the teacher's vectors lined up with the examples,
and a real MiniLM student fine-tuned with a packaged teacher through the public API."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from shared.config import DistillConfig, OptimConfig, TrainConfig
from shared.errors import ConfigError
from shared.registry import Registry
from shared.tasks.embedding.distill import distill_loss
from shared.tasks.embedding.objective import in_batch_negatives_loss, in_batch_scores


def test_distill_loss_is_the_pairs_loss_at_alpha_zero_and_zero_against_itself():
    g = torch.Generator().manual_seed(0)
    q, p, n = (torch.randn(4, 8, generator=g) for _ in range(3))
    key = torch.tensor([0, 1, 0, 2])  # rows 0 and 2 share a positive: masked in both score matrices
    student = in_batch_scores(q, p, n, key)
    assert torch.isinf(student[0, 2]) and torch.isinf(student[2, 0])
    assert distill_loss(student, student, alpha=0.0, temperature=1.0).item() == pytest.approx(
        in_batch_negatives_loss(q, p, n, key).item(), rel=1e-6)
    assert distill_loss(student, student, alpha=1.0, temperature=2.0).item() == pytest.approx(0.0, abs=1e-6)
    other = in_batch_scores(*(torch.randn(4, 8, generator=g) for _ in range(3)), key)
    far = distill_loss(student, other, alpha=1.0, temperature=1.0)
    assert torch.isfinite(far) and far.item() > 0.1


@pytest.fixture(scope="module")
def faq_pairs() -> pd.DataFrame:
    from shared.datasets.construction_faq import load_construction_faq

    return load_construction_faq("en").iloc[:40][["question", "answer"]]


def test_teacher_vectors_line_up_with_each_example_and_side(faq_pairs):
    """A student taught by its own copy starts at zero distillation loss; any mix-up of rows or sides would not."""
    from shared.models.loading import load_sentence_transformer
    from shared.tasks.embedding.data import encode_pairs, retrieval_pool
    from shared.tasks.embedding.distill import teacher_vectors
    from shared.tasks.embedding.objective import EmbeddingTask

    st = load_sentence_transformer("minilm", device="cpu")
    rows = faq_pairs.iloc[:12]
    qs, ps, ns = rows["question"].tolist(), rows["answer"].tolist(), rows["answer"].tolist()[::-1]
    vectors = teacher_vectors(st, qs + ps + ns)
    train = encode_pairs(st.tokenizer, qs, ps, ns, st.max_seq_length)
    for i, example in enumerate(train):
        example.teacher = {"query": vectors[qs[i]], "positive": vectors[ps[i]], "negative": vectors[ns[i]]}
    task = EmbeddingTask(train, retrieval_pool(rows.iloc[:0], "question", "answer"), st.tokenizer.pad_token_id, 8,
                         distill=DistillConfig("minilm", alpha=1.0, temperature=1.0))
    batch = task.collate(train)
    assert batch["teacher_query"].shape == (12, 384) and "teacher_negative" in batch
    st.eval()
    with torch.no_grad():
        assert task.loss(st, batch).item() == pytest.approx(0.0, abs=1e-3)
        shuffled = {**batch, "teacher_positive": batch["teacher_positive"].roll(1, dims=0)}
        assert task.loss(st, shuffled).item() > 0.5


def test_student_distilled_from_a_packaged_teacher_is_registered_with_it(tmp_path, faq_pairs):
    from shared.api import finetune, load_model

    registry = Registry(tmp_path / "reg")
    config = TrainConfig(epochs=1, max_length=64, progress=False, optim=OptimConfig(batch_size=8, lr=1e-4))
    res = finetune(faq_pairs, task="embedding", name="student", query_col="question", positive_col="answer",
                   method="lora", config=config, registry=registry,
                   distill=DistillConfig("minilm", alpha=0.5, temperature=1.0))
    kd = res.card.hyperparameters["distill"]
    assert kd["teacher"] == "minilm" and kd["alpha"] == 0.5 and "teacher KL" in res.card.hyperparameters["loss"]
    assert load_model("student", registry=registry).encode(["How long does a permit take?"]).shape == (1, 384)


def test_a_teacher_that_is_not_an_encoder_or_not_registered_is_refused(tmp_path, faq_pairs, separable):
    from shared.api import finetune

    registry = Registry(tmp_path / "reg")
    finetune(separable, name="clf", method="head", registry=registry, config=TrainConfig(epochs=1, progress=False))
    kwargs = {"task": "embedding", "name": "student", "query_col": "question", "positive_col": "answer", "registry": registry,
                  "config": TrainConfig(epochs=1, progress=False)}
    with pytest.raises(ConfigError, match="is a classification model"):
        finetune(faq_pairs, distill=DistillConfig("clf"), **kwargs)
    with pytest.raises(ConfigError, match="No registered model 'gone'"):
        finetune(faq_pairs, distill=DistillConfig("gone@v0001"), **kwargs)
    assert "student" not in registry.names()
