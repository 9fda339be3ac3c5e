"""Real token-classification training of the packaged MiniLM on a tiny set, through the core's front door."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from shared.api import finetune, load_model
from shared.config import OptimConfig, TrainConfig
from shared.registry import Registry
from shared.tasks.token_classification.data import Sentence, parse_conll

ORGS = [["Acme", "Corp"], ["Globex", "Inc"], ["Initech"], ["Umbrella", "plc"], ["Hooli"], ["Vandelay", "Industries"]]
PEOPLE = [["Alice", "Smith"], ["Bob", "Jones"], ["Carol", "White"], ["Dan", "Brown"], ["Erin", "Green"]]
TEMPLATES = [["{PER}", "joined", "{ORG}", "as", "chief", "executive", "."],
             ["Shares", "of", "{ORG}", "fell", "after", "{PER}", "resigned", "."],
             ["{ORG}", "said", "{PER}", "will", "lead", "the", "bank", "."],
             ["The", "lender", "{ORG}", "hired", "{PER}", "last", "year", "."]]


def synthetic(n: int, seed: int) -> list[Sentence]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words, tags = [], []
        for slot in rng.choice(TEMPLATES):
            if slot in ("{PER}", "{ORG}"):
                kind = slot[1:4]
                name = rng.choice(PEOPLE if kind == "PER" else ORGS)
                words += name
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(name) - 1)
            else:
                words.append(slot)
                tags.append("O")
        out.append(Sentence(words, tags))
    return out


@pytest.fixture(scope="module")
def splits():
    return synthetic(64, 1), synthetic(16, 2), synthetic(16, 3)


def test_head_learns_names_and_predicts_spans_with_offsets(tmp_path, splits):
    registry = Registry(tmp_path / "reg")
    config = TrainConfig(epochs=8, patience=8, progress=False, optim=OptimConfig(batch_size=32))
    result = finetune(task="token-classification", name="ner-head", method="head", splits=splits, config=config,
                      registry=registry)
    card = result.card
    assert card.task == "token-classification" and card.labels == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert result.metrics["entity_f1"] >= 0.9
    assert "crf_entity_f1" in result.metrics and "CRF baseline" in result.report
    assert set(result.evaluation["model"]["per_type"]) == {"ORG", "PER"}
    assert "dev_entity_f1" in card.training["history"][-1]
    assert (result.model_dir / "head.safetensors").exists() and not (result.model_dir / "encoder").exists()
    model = load_model("ner-head", registry=registry)
    text = "Shares of Globex Inc fell after Carol White resigned."
    [entities] = model.predict([text])
    assert [(e.type, e.text) for e in entities] == [("ORG", "Globex Inc"), ("PER", "Carol White")]
    assert all(text[e.start:e.end] == e.text and 0 < e.score <= 1 for e in entities)
    assert model.predict([""]) == [[]]


@pytest.mark.parametrize("method", ["lora", "full"])
def test_end_to_end_methods_train_save_and_reload_identically(tmp_path, splits, method):
    registry = Registry(tmp_path / "reg")
    config = TrainConfig(epochs=1, progress=False, optim=OptimConfig(batch_size=16, lr=1e-3 if method == "lora"
                                                                      else 1e-4, head_lr_multiplier=10))
    result = finetune(task="token-classification", name=f"ner-{method}", method=method, splits=splits,
                      config=config, registry=registry, baseline=False)
    history = result.card.training["history"]
    assert len(history) == 1 and history[0]["train_loss"] > 0
    assert result.card.hyperparameters["case_input"] is True
    folder = result.model_dir
    assert (folder / ("adapter" if method == "lora" else "encoder")).exists()
    assert not list(folder.rglob("*.bin")) and not list(folder.rglob("*.pt"))
    # the reloaded model scores the test split exactly as the trained one did
    model = load_model(f"ner-{method}", registry=registry)
    from shared.tasks.token_classification.evaluation import entity_report

    _, _, test = splits
    again = entity_report([s.tags for s in test], model.predict_tags([s.words for s in test]), model.labels)
    assert again["f1"] == pytest.approx(result.metrics["entity_f1"], abs=1e-9)


def test_hybrid_mixes_in_the_crf_dev_prefers_and_serves_it_after_reload(tmp_path, splits):
    # a barely trained head (one epoch at a tiny rate) tags nothing; the CRF knows the names, so dev must
    # choose a share below 1, the CRF must be stored, and the reloaded model must predict exactly the same
    registry = Registry(tmp_path / "reg")
    config = TrainConfig(epochs=1, progress=False, optim=OptimConfig(batch_size=32, lr=1e-5))
    result = finetune(task="token-classification", name="ner-hybrid", method="head", splits=splits, config=config,
                      registry=registry, hybrid=True, crf_data=splits[0][:48])
    assert result.card.data["sizes"]["crf_train"] == 48
    weight = result.card.hyperparameters["crf_weight"]
    scores = result.card.training["hybrid_dev_f1"]
    assert weight < 1.0 and scores[str(weight)] > scores["1.0"]
    assert (result.model_dir / "crf.crfsuite").exists()
    assert result.metrics["entity_f1"] > result.metrics["model_alone_entity_f1"]
    assert "without the CRF" in result.report
    model = load_model("ner-hybrid", registry=registry)
    from shared.tasks.token_classification.evaluation import entity_report

    _, _, test = splits
    again = entity_report([s.tags for s in test], model.predict_tags([s.words for s in test]), model.labels)
    assert again["f1"] == pytest.approx(result.metrics["entity_f1"], abs=1e-9)
    [entities] = model.predict(["Shares of Globex Inc fell after Carol White resigned."])
    assert [(e.type, e.text) for e in entities] == [("ORG", "Globex Inc"), ("PER", "Carol White")]


def test_auto_applies_the_measured_recipe_except_what_is_pinned(tmp_path, splits):
    from shared.tasks.token_classification.recipe import TOKEN_RECIPE

    registry = Registry(tmp_path / "reg")
    config = TrainConfig(epochs=1, progress=False)
    result = finetune(task="token-classification", name="ner-auto", method="auto", splits=splits, config=config,
                      registry=registry, pinned=["epochs"])
    card = result.card
    hp = card.hyperparameters
    assert card.method == TOKEN_RECIPE.method == "full" and len(card.training["history"]) == 1
    assert (hp["lr"], hp["optim"]["head_lr_multiplier"], hp["optim"]["batch_size"], hp["patience"]) == (
        TOKEN_RECIPE.lr, TOKEN_RECIPE.head_lr_multiplier, TOKEN_RECIPE.batch_size, TOKEN_RECIPE.patience)
    assert "crf_weight" in hp and "hybrid_dev_f1" in card.training  # the recipe's hybrid ran
    assert card.training["recipe"]["pinned"] == ["epochs"]


def test_cli_finetune_predict_and_evaluate_on_finer_subset(tmp_path):
    data = Path(os.environ.get("VERTICALS_DATA", "")) / "finer_sec" / "train.conll"
    if not data.is_file():
        pytest.skip("FiNER not found: set VERTICALS_DATA to the shared data folder")
    blocks = data.read_text().split("\n\n")
    sentences = [b for b in blocks if b.strip() and not b.startswith("-DOCSTART-")]
    (tmp_path / "train.conll").write_text("\n\n".join(sentences[:60]) + "\n")
    test = [b for b in sentences[60:120] if "MISC" not in b]
    (tmp_path / "test.conll").write_text("\n\n".join(test) + "\n")
    env = {**os.environ, "VERTICALS_HOME": str(tmp_path / "home")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "shared.cli.main", *args], capture_output=True, text=True, check=False,
                              env=env, timeout=600)

    out = cli("finetune", "--task", "token-classification", "--data", str(tmp_path / "train.conll"),
              "--test-data", str(tmp_path / "test.conll"), "--method", "head", "--epochs", "2", "--name", "fin-ner")
    assert out.returncode == 0, out.stderr
    assert "fin-ner v0001" in out.stdout and "CRF baseline" in out.stdout and "token-level confusion" in out.stdout
    pred = cli("predict", "--name", "fin-ner", "The loan from SILICON VALLEY BANK to John Smith.")
    assert pred.returncode == 0, pred.stderr
    lines = pred.stdout.strip().splitlines()
    assert lines[0] == "The loan from SILICON VALLEY BANK to John Smith."
    for line in lines[1:]:
        if line.strip() != "(no entities)":
            kind, offsets, score, text = line.strip().split("\t")
            start, end = map(int, offsets.split("-"))
            assert lines[0][start:end] == text and kind in ("PER", "ORG", "LOC") and 0 < float(score) <= 1
    ev = cli("evaluate", "--name", "fin-ner", "--data", str(tmp_path / "test.conll"))
    assert ev.returncode == 0, ev.stderr
    assert "all (micro)" in ev.stdout
    bad = tmp_path / "bad.conll"
    bad.write_text("Acme I-ORG\nbroken-line\n")
    err = cli("finetune", "--task", "token-classification", "--data", str(bad), "--name", "x")
    assert err.returncode == 2 and "line 2" in err.stderr and "Traceback" not in err.stderr


def test_conll_in_a_file_round_trip(tmp_path):
    (tmp_path / "a.conll").write_text("Acme I-ORG\nsaid O\n\nBob I-PER\n")
    assert [s.tags for s in parse_conll((tmp_path / "a.conll").read_text())] == [["B-ORG", "O"], ["B-PER"]]
