"""Generative fine-tuning: the answer-only loss mask, a few real LoRA steps on SmolLM2 with construction-FAQ
pairs, adapter save → reload reproducing the trained model's greedy answers, CLI, bad input."""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from shared.config import OptimConfig, TrainConfig
from shared.errors import ConfigError, DataError
from shared.tasks.generation.data import IGNORE, QAExample, check_rows, collate, encode_qa, prompt_ids
from shared.tasks.generation.errors import EmptyAnswerError, PromptTooLongError
from shared.tasks.generation.objective import answer_nll


@pytest.fixture(scope="session")
def smollm2():
    from shared.models.loading import load_causal_lm

    return load_causal_lm("smollm2")


@pytest.fixture(scope="session")
def tokenizer(smollm2):
    return smollm2[1]


@pytest.fixture(scope="session")
def faq() -> pd.DataFrame:
    """Construction-FAQ pairs with each answer cut to its first sentence: short sequences, quick steps."""
    from shared.datasets.construction_faq import load_construction_faq

    qa = load_construction_faq("en").rename(columns={"question": "prompt"})[["prompt", "answer"]]
    qa["answer"] = qa["answer"].str.split(r"(?<=\.) ", regex=True).str[0]
    return qa


# -- the loss mask --------------------------------------------------------------------------------

def test_loss_is_carried_by_the_answer_tokens_and_eos_only(tokenizer):
    answer = "Usually 10 weeks."
    (ex,), cut = encode_qa(tokenizer, ["How long does a permit take?"], [answer], max_length=256)
    n_prompt = len(prompt_ids(tokenizer, "How long does a permit take?"))
    assert cut == 0
    assert ex.labels[:n_prompt] == [IGNORE] * n_prompt
    carried = [i for i, lab in enumerate(ex.labels) if lab != IGNORE]
    assert carried == list(range(n_prompt, len(ex.input_ids)))
    assert [ex.input_ids[i] for i in carried] == ex.labels[n_prompt:]
    assert ex.labels[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(ex.labels[n_prompt:]) == answer + tokenizer.eos_token
    # the prompt part is the chat template's user turn and assistant header, nothing of the answer
    assert tokenizer.decode(ex.input_ids[:n_prompt]).endswith("How long does a permit take?<|im_end|>\n"
                                                               "<|im_start|>assistant\n")


def test_answer_nll_sums_exactly_the_labelled_next_token_predictions():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 7)
    labels = torch.tensor([[IGNORE, IGNORE, 3, 4, IGNORE], [IGNORE, 1, 2, IGNORE, IGNORE]])
    total, n = answer_nll(logits, labels)
    logp = torch.log_softmax(logits, dim=-1)
    # label at position t is predicted by the logits at t-1
    expected = -(logp[0, 1, 3] + logp[0, 2, 4] + logp[1, 0, 1] + logp[1, 1, 2])
    assert int(n) == 4 and total.item() == pytest.approx(expected.item(), rel=1e-5)


def test_collate_pads_labels_with_ignore():
    batch = collate([QAExample([5, 6, 7], [IGNORE, 6, 7]), QAExample([5], [IGNORE])], pad_id=0, pad_multiple=4)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 0], [5, 0, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE, 6, 7, IGNORE], [IGNORE] * 4]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]


def test_long_answers_are_truncated_and_a_prompt_filling_the_context_names_its_row(tokenizer):
    short = len(prompt_ids(tokenizer, "Hi?"))
    examples, cut = encode_qa(tokenizer, ["Hi?"], ["word " * 50], max_length=short + 5)
    assert cut == 1 and len(examples[0].input_ids) == short + 5
    with pytest.raises(PromptTooLongError, match=r"Row 1 of the train split: its prompt is \d+ tokens"):
        encode_qa(tokenizer, ["Hi?", "very " * 80], ["a", "b"], max_length=64, where="train split")


# -- bad input, before any model loads ------------------------------------------------------------

def test_bad_rows_get_one_clear_error():
    from shared.tasks.generation.pipeline import run

    qa = pd.DataFrame({"prompt": ["a?", "b?", "c?"], "answer": ["x", "y", "  "]})
    with pytest.raises(DataError, match="no column 'reply'"):
        check_rows(qa, "prompt", "reply")
    with pytest.raises(EmptyAnswerError, match=r"Row 2 of the data .* empty answer in column 'answer'"):
        check_rows(qa, "prompt", "answer")
    with pytest.raises(EmptyAnswerError, match="Row 1 of the data .* empty prompt"):
        check_rows(pd.DataFrame({"prompt": ["a", None], "answer": ["x", "y"]}), "prompt", "answer")
    with pytest.raises(EmptyAnswerError, match="Row 2 of the test split"):
        run(None, name="g", splits=(qa.iloc[:2], qa.iloc[:2], qa))
    with pytest.raises(ConfigError, match="LoRA only"):
        run(qa, name="g", method="full")
    with pytest.raises(ConfigError, match="privacy"):
        run(qa, name="g", privacy=object())


# -- real training -----------------------------------------------------------------------------------

def test_lora_steps_lower_perplexity_and_the_adapter_reloads_to_the_same_greedy_answers(tmp_path, smollm2, faq):
    from shared.registry import Registry
    from shared.tasks.generation.artifacts import attach_adapter
    from shared.tasks.generation.objective import perplexity
    from shared.tasks.generation.pipeline import run
    from shared.tasks.generation.predictor import GenerationPredictor

    base, tok = smollm2
    train, dev, test = faq.iloc[:8], faq.iloc[8:10], faq.iloc[10:12]
    config = TrainConfig(epochs=3, patience=3, max_length=128, progress=False,
                         optim=OptimConfig(lr=1e-3, batch_size=4, warmup_ratio=0.0))
    res = run(None, splits=(train, dev, test), name="faq-gen", config=config, registry=Registry(tmp_path),
              samples=1, sample_max_new_tokens=12, loaded=(copy.deepcopy(base), tok), device=torch.device("cpu"))

    assert res.version == "v0001" and res.card.base_model == "smollm2" and res.card.method == "lora"
    files = sorted(p.name for p in (res.model_dir / "adapter").iterdir())
    assert "adapter_model.safetensors" in files and not [f for f in files if f.endswith((".bin", ".pt"))]
    assert "perplexity" in res.report and "[1] prompt:" in res.report and "after:" in res.report

    reloaded = GenerationPredictor(attach_adapter(copy.deepcopy(base), res.model_dir), tok, device=torch.device("cpu"))
    # the sample in the card was generated by the in-memory trained model: the reloaded one must match it
    sample = res.card.extra["samples"][0]
    assert reloaded.generate(sample["prompt"], max_new_tokens=12) == sample["after"]
    assert "".join(reloaded.generate(sample["prompt"], max_new_tokens=12, stream=True)).strip() == sample["after"]

    def ppl(model, frame):
        examples, _ = encode_qa(tok, frame["prompt"].tolist(), frame["answer"].tolist(), 128)
        return perplexity(model, examples, tok.pad_token_id, 8, 4, torch.device("cpu"))

    assert ppl(reloaded.model, test) == pytest.approx(res.metrics["perplexity"], rel=1e-4)
    assert res.metrics["baseline"]["perplexity"] == pytest.approx(ppl(base, test), rel=1e-4)
    train_before, train_after = ppl(base, train), ppl(reloaded.model, train)
    assert math.isfinite(train_after) and train_after < 0.8 * train_before, (train_before, train_after)


@pytest.mark.slow
def test_cli_finetunes_generation_and_streams_an_answer(tmp_path, faq):
    data = tmp_path / "qa.csv"
    faq.iloc[:20].rename(columns={"prompt": "question"}).to_csv(data, index=False)
    env = {**os.environ, "VERTICALS_HOME": str(tmp_path / "home")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "shared.cli.main", *args], check=False, capture_output=True,
                              text=True, env=env, timeout=900)

    out = cli("finetune", "--task", "generation", "--data", str(data),  # the default model is smollm2
              "--prompt-col", "question", "--answer-col", "answer", "--epochs", "1", "--batch-size", "4",
              "--max-length", "192", "--name", "faq-gen")
    assert out.returncode == 0, out.stderr
    assert "faq-gen v0001" in out.stdout and "perplexity" in out.stdout

    from shared.api import load_model
    from shared.registry import Registry

    model = load_model("faq-gen", registry=Registry(tmp_path / "home" / "registry"))
    question = faq.iloc[0]["prompt"]
    expected = model.generate(question, max_new_tokens=16)
    gen = cli("generate", "--name", "faq-gen", "--max-new-tokens", "16", question)
    assert gen.returncode == 0, gen.stderr
    assert gen.stdout.strip() == expected and expected

    wrong = cli("generate", "--name", "nope", "hello")
    assert wrong.returncode == 2 and "No model named 'nope'" in wrong.stderr
