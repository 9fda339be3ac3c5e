"""Embedding fine-tuning: retrieval metrics against hand-computed values, the in-batch-negatives loss,
a few real LoRA steps on MiniLM with construction-FAQ pairs, save → load identity, CLI, bad input."""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from shared.config import OptimConfig, TrainConfig
from shared.errors import ConfigError, DataError
from shared.retrieval_metrics import mrr, ranks, recall_at_k, retrieval_metrics
from shared.tasks.embedding.data import collate, encode_pairs, retrieval_pool
from shared.tasks.embedding.objective import in_batch_negatives_loss

# -- retrieval metrics (pure) ------------------------------------------------------------------------

SCORES = np.array([
    [0.9, 0.1, 0.3, 0.2],   # relevant 0 → rank 1
    [0.5, 0.4, 0.8, 0.1],   # relevant 1 → 0.8, 0.5 ahead → rank 3
    [0.2, 0.2, 0.2, 0.7],   # relevant 2 → ties with 0 and 1 count against it, 0.7 ahead → rank 4
])
RELEVANT = [0, 1, 2]


def test_ranks_count_ties_against_the_relevant_candidate():
    assert ranks(SCORES, RELEVANT).tolist() == [1, 3, 4]


def test_recall_and_mrr_match_hand_computed_values():
    assert recall_at_k(SCORES, RELEVANT, 1) == pytest.approx(1 / 3)
    assert recall_at_k(SCORES, RELEVANT, 3) == pytest.approx(2 / 3)
    assert recall_at_k(SCORES, RELEVANT, 4) == pytest.approx(1.0)
    assert mrr(SCORES, RELEVANT) == pytest.approx((1 + 1 / 3 + 1 / 4) / 3)
    assert retrieval_metrics(SCORES, RELEVANT, ks=(1, 5)) == pytest.approx(
        {"recall@1": 1 / 3, "recall@5": 1.0, "mrr": (1 + 1 / 3 + 1 / 4) / 3})


def test_a_constant_scorer_earns_nothing_and_bad_shapes_are_refused():
    flat = np.zeros((2, 5))
    assert ranks(flat, [0, 3]).tolist() == [5, 5]
    with pytest.raises(DataError, match="one relevant index per query"):
        ranks(SCORES, [0, 1])
    with pytest.raises(DataError, match="must be in"):
        ranks(SCORES, [0, 1, 4])


# -- loss and batching (pure) ------------------------------------------------------------------------

def test_in_batch_negatives_loss_is_cross_entropy_over_scaled_cosines():
    g = torch.Generator().manual_seed(0)
    q, p, n = (torch.randn(3, 4, generator=g) for _ in range(3))
    cos = torch.nn.functional.normalize(q, dim=1) @ torch.nn.functional.normalize(torch.cat([p, n]), dim=1).T
    expected = -torch.log_softmax(20 * cos, dim=1)[torch.arange(3), torch.arange(3)].mean()
    assert in_batch_negatives_loss(q, p, n).item() == pytest.approx(expected.item(), rel=1e-5)


def test_rows_sharing_a_positive_are_not_each_others_negatives():
    q = torch.tensor([[1.0, 0.0], [1.0, 0.05]])
    p = torch.tensor([[1.0, 0.0], [1.0, 0.0]])  # two questions, one answer
    unmasked = in_batch_negatives_loss(q, p).item()
    masked = in_batch_negatives_loss(q, p, positive_key=torch.tensor([0, 0])).item()
    assert unmasked == pytest.approx(math.log(2), abs=1e-4)  # the duplicate looks like a perfect negative
    assert masked == pytest.approx(0.0, abs=1e-6)


def test_collate_pads_each_side_and_keys_duplicate_positives():
    class Tok:  # a whitespace tokenizer: ids are word lengths, so shapes are easy to predict
        def __call__(self, texts, truncation, max_length, padding):
            return {"input_ids": [[len(w) for w in t.split()][:max_length] for t in texts]}

    ex = encode_pairs(Tok(), ["a bb", "ccc"], ["x", "x"], ["n n n", "n"], max_length=8)
    assert [e.positive_key for e in ex] == [0, 0]
    batch = collate(ex, pad_id=0, pad_multiple=4)
    assert list(batch) == ["query_input_ids", "query_attention_mask", "positive_input_ids",
                           "positive_attention_mask", "negative_input_ids", "negative_attention_mask",
                           "positive_key"]
    assert batch["query_input_ids"].tolist() == [[1, 2, 0, 0], [3, 0, 0, 0]]
    assert batch["negative_attention_mask"].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]


def test_retrieval_pool_ranks_against_distinct_candidates():
    frame = pd.DataFrame({"q": ["q1", "q2", "q3"], "p": ["A", "B", "A"], "n": ["C", "A", "D"]})
    pool = retrieval_pool(frame, "q", "p", "n")
    assert pool.candidates == ["A", "B", "C", "D"] and pool.relevant == [0, 1, 0]


# -- real model ----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def faq_pairs() -> pd.DataFrame:
    from shared.datasets.construction_faq import load_construction_faq

    faq = load_construction_faq("en")
    return faq.rename(columns={"question": "query", "answer": "positive"})[["query", "positive", "category"]]


@pytest.fixture(scope="session")
def minilm():
    from shared.models.loading import load_sentence_transformer

    return load_sentence_transformer("minilm", device="cpu")


def test_lora_steps_with_hard_negatives_lower_the_loss_and_the_merged_save_reloads_identically(tmp_path, minilm, faq_pairs):
    from shared.config import LoraSettings
    from shared.methods import apply_lora
    from shared.tasks.embedding.artifacts import save_embedder
    from shared.tasks.embedding.objective import EmbeddingTask
    from shared.tasks.embedding.predictor import load
    from shared.training.trainer import Trainer

    st = copy.deepcopy(minilm)
    st.max_seq_length = 64
    rows = faq_pairs.iloc[:16]
    hard = rows["positive"].iloc[::-1].tolist()  # another question's answer as each row's hard negative
    train = encode_pairs(st.tokenizer, rows["query"].tolist(), rows["positive"].tolist(), hard, 64)
    task = EmbeddingTask(train, retrieval_pool(rows.iloc[:0], "query", "positive"), st.tokenizer.pad_token_id, 8)
    st[0].model = apply_lora(st[0].model, "bert", LoraSettings(r=8, alpha=16, dropout=0.0))
    batch = task.collate(train)
    assert batch["negative_input_ids"].shape[0] == 16

    def loss_now() -> float:
        st.eval()
        with torch.no_grad():
            return task.loss(st, batch).item()

    before = loss_now()
    config = TrainConfig(epochs=3, progress=False, optim=OptimConfig(lr=2e-3, batch_size=8, warmup_ratio=0.0))
    Trainer(st, task, config, 2e-3, torch.device("cpu")).fit()
    after = loss_now()
    assert after < before * 0.8, (before, after)

    texts = ["How long does a building permit take?", "Do I need a permit for a carport?"]
    trained = st.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    save_embedder(tmp_path, st)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.rglob("adapter_*"))
    reloaded = load(tmp_path, card=None, device="cpu").encode(texts)
    assert reloaded.dtype == np.float32 and reloaded.shape == (2, 384)
    np.testing.assert_allclose(reloaded, trained, atol=1e-5)
    base = minilm.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    assert np.abs(reloaded - base).max() > 1e-3  # the saved model is the trained one, not the base


def test_cli_finetunes_embedding_prints_before_after_and_serves_the_same_metrics(tmp_path, faq_pairs):
    data = tmp_path / "pairs.csv"
    faq_pairs.iloc[:40].rename(columns={"query": "question", "positive": "answer"}).to_csv(data, index=False)
    env = {**os.environ, "VERTICALS_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "finetune", "--task", "embedding", "--data", str(data),
         "--query-col", "question", "--positive-col", "answer", "--method", "lora", "--epochs", "1",
         "--batch-size", "8", "--max-length", "64", "--name", "faq-emb"],
        check=False, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "faq-emb v0001" in out.stdout
    assert "before" in out.stdout and "after" in out.stdout and "recall@5" in out.stdout and "mrr" in out.stdout

    from shared.api import load_model
    from shared.registry import Registry

    registry = Registry(tmp_path / "home" / "registry")
    card = registry.card("faq-emb")
    assert card.task == "embedding" and card.base_model == "minilm" and card.method == "lora"
    assert set(card.metrics["baseline"]) == {"recall@1", "recall@5", "recall@10", "mrr"}
    folder = registry.path("faq-emb")
    assert not list(folder.rglob("*.bin")) and not list(folder.rglob("*.pt"))

    # The served model reproduces the stored test metrics: what was evaluated is what was saved.
    from shared.data.splits import stratified_split

    _, _, test = stratified_split(pd.read_csv(data), None, seed=42)
    pool = retrieval_pool(test, "question", "answer")
    model = load_model("faq-emb", registry=registry)
    q, c = model.encode(pool.queries), model.encode(pool.candidates)
    assert retrieval_metrics(q @ c.T, pool.relevant) == pytest.approx(
        {k: v for k, v in card.metrics.items() if k != "baseline"}, abs=1e-6)
    assert json.loads((folder / "evaluation.json").read_text())["after"]["mrr"] == pytest.approx(card.metrics["mrr"])


def test_bad_input_gets_one_clear_error_before_any_model_loads(tmp_path):
    from shared.tasks.embedding.pipeline import run

    pairs = pd.DataFrame({"query": ["a", "b", "c"], "positive": ["x", "y", "z"]})
    with pytest.raises(DataError, match="no column 'answer'"):
        run(pairs, name="e", positive_col="answer", registry=None)
    with pytest.raises(ConfigError, match="no head"):
        run(pairs, name="e", method="head")
    with pytest.raises(ConfigError, match="privacy"):
        run(pairs, name="e", privacy=object())
    with pytest.raises(DataError, match="at least 2"):
        run(None, name="e", splits=(pairs.iloc[:1], pairs.iloc[1:2], pairs.iloc[2:]))
    with pytest.raises(DataError, match="data file"):
        run(None, name="e")
