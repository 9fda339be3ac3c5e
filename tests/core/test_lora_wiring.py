"""LoRA wiring on a toy module (a tiny random BERT): which parameters train, and merge-on-export."""

from __future__ import annotations

import torch
from transformers import BertConfig, BertModel

from shared.config import LoraSettings
from shared.methods import apply_lora, apply_topk
from shared.modeling.classifier import TextClassifier


def tiny_classifier() -> TextClassifier:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32)
    return TextClassifier(BertModel(config), num_labels=3)


def test_only_adapters_and_head_train():
    model = apply_lora(tiny_classifier(), "bert", LoraSettings(r=2, alpha=4), modules_to_save=["head"])
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "head" in n for n in trainable)
    assert any("query" in n for n in trainable) and any("value" in n for n in trainable)
    assert not any("key" in n or "dense" in n for n in trainable if "lora_" in n)


def test_merge_gives_the_same_outputs():
    model = apply_lora(tiny_classifier(), "bert", LoraSettings(r=2, alpha=4), modules_to_save=["head"])
    with torch.no_grad():  # make the adapter non-trivial
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_()
    model.eval()
    ids = torch.randint(0, 50, (2, 7))
    mask = torch.ones_like(ids)
    before = model(input_ids=ids, attention_mask=mask)
    merged = model.merge_and_unload()
    torch.testing.assert_close(merged(input_ids=ids, attention_mask=mask), before, atol=1e-5, rtol=1e-5)


def test_topk_unfreezes_only_the_last_layers():
    clf = tiny_classifier()
    apply_topk(clf.encoder, 1)
    trainable = {n for n, p in clf.encoder.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("encoder.layer.1.") for n in trainable)
