"""CPU training runs a transformers model's attention as `eager` (sdpa's fused kernel refuses dropout);
evaluation keeps sdpa, and the model leaves `fit` as it came."""

from __future__ import annotations

import torch

from shared.config import OptimConfig, TrainConfig
from shared.modeling.classifier import TextClassifier
from shared.tasks.classification.data import Encoded
from shared.tasks.classification.objective import ClassificationTask
from shared.training.attention import training_attention
from shared.training.trainer import Trainer


def tiny_bert(attention_dropout: float = 0.1):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32,
                        attention_probs_dropout_prob=attention_dropout)
    return BertModel(config, add_pooling_layer=False)


def test_fit_trains_with_eager_attention_and_evaluates_with_sdpa():
    model = TextClassifier(tiny_bert(), 2)
    assert model.encoder.config._attn_implementation == "sdpa"
    examples = [Encoded([1, 5 + i % 7, 9, 2], None, i % 2) for i in range(16)]
    task = ClassificationTask(examples, examples[:4], pad_id=0, pad_multiple=8, device=torch.device("cpu"))
    seen: dict[str, set[str]] = {"train": set(), "eval": set()}
    loss, evaluate = task.loss, task.evaluate

    def recording_loss(m, batch):
        seen["train"].add(model.encoder.config._attn_implementation)
        return loss(m, batch)

    def recording_evaluate(m):
        seen["eval"].add(model.encoder.config._attn_implementation)
        return evaluate(m)

    task.loss, task.evaluate = recording_loss, recording_evaluate  # type: ignore[method-assign]
    config = TrainConfig(epochs=2, patience=2, progress=False, optim=OptimConfig(batch_size=8))
    Trainer(model, task, config, 1e-3, torch.device("cpu")).fit()
    assert seen == {"train": {"eager"}, "eval": {"sdpa"}}
    assert model.encoder.config._attn_implementation == "sdpa"


def test_eager_is_the_same_attention_as_sdpa():
    model = tiny_bert().eval()
    ids = torch.tensor([[1, 7, 9, 2, 0, 0], [1, 8, 3, 4, 9, 2]])
    mask = (ids != 0).long()
    with torch.no_grad():
        reference = model(input_ids=ids, attention_mask=mask).last_hidden_state
        with training_attention(model, torch.device("cpu")):
            assert model.config._attn_implementation == "eager"
            eager = model(input_ids=ids, attention_mask=mask).last_hidden_state
    torch.testing.assert_close(eager[mask.bool()], reference[mask.bool()], atol=1e-5, rtol=1e-5)


def test_models_without_attention_dropout_or_off_cpu_keep_sdpa():
    plain = tiny_bert(attention_dropout=0.0)
    with training_attention(plain, torch.device("cpu")):
        assert plain.config._attn_implementation == "sdpa"  # sdpa's fused kernel applies: nothing to gain
    model = tiny_bert()
    with training_attention(model, torch.device("cuda")):
        assert model.config._attn_implementation == "sdpa"
