"""`--method auto`: the recipe follows what the sweeps learned, the caller's pinned values win, and a run
records the recipe, its reasons and the baseline comparison on the card and in the report."""

from __future__ import annotations

import json

import pytest

from shared.api import finetune
from shared.config import OptimConfig, TrainConfig
from shared.registry import Registry
from shared.tasks.classification.recipe import apply_recipe, choose_recipe

MINILM, MPNET, LARGE = 22_700_000, 109_000_000, 335_000_000


def test_minilm_small_few_labels_is_the_fpb_recipe():
    r = choose_recipe(3876, 3, MINILM, "cpu")
    assert (r.method, r.lr, r.head_lr_multiplier, r.batch_size, r.epochs, r.patience) == \
        ("full", 5e-5, 20.0, 16, 6, 2)
    assert any("head lr x20" in w for w in r.why)


def test_many_labels_and_more_data_move_lr_batch_and_epochs():
    r = choose_recipe(9003, 77, MINILM, "cpu")
    assert (r.method, r.lr, r.batch_size, r.epochs) == ("full", 1e-4, 32, 8)
    base = choose_recipe(3876, 3, MPNET, "cpu")
    assert (base.lr, base.epochs) == (3e-5, 4)              # base size: smaller step, fewer epochs on a CPU
    assert choose_recipe(3876, 3, MPNET, "cuda").epochs == 6
    assert choose_recipe(120, 2, MINILM).epochs == 10        # tiny sets: more passes, early stopping decides
    assert choose_recipe(3876, 3, LARGE).method == "lora"


def test_pinned_fields_and_explicit_lr_survive():
    r = choose_recipe(9003, 77, MINILM)
    cfg = TrainConfig(epochs=2, patience=1, optim=OptimConfig(lr=3e-4, batch_size=8, head_lr_multiplier=5))
    out = apply_recipe(r, cfg, pinned={"epochs", "batch_size"})
    assert (out.epochs, out.optim.batch_size) == (2, 8)                  # pinned
    assert out.optim.lr == 3e-4                                          # an explicit lr is kept
    assert (out.patience, out.optim.head_lr_multiplier) == (2, 20.0)     # chosen
    assert apply_recipe(r, TrainConfig()).optim.lr == 1e-4


def test_auto_run_records_recipe_and_baseline(tmp_path, separable, monkeypatch):
    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path / "home"))  # the CLI below reads the default registry
    registry = Registry(tmp_path / "home" / "registry")
    res = finetune(separable, name="auto", registry=registry,
                   config=TrainConfig(progress=False), pinned=["epochs"])  # 3 epochs keep the test short
    card = res.card
    assert card.method == "full"
    recipe = card.training["recipe"]
    assert recipe["chosen"]["method"] == "full" and recipe["used"]["epochs"] == 3 and recipe["pinned"] == ["epochs"]
    assert card.hyperparameters["optim"]["head_lr_multiplier"] == 20.0
    assert card.hyperparameters["lr"] == recipe["chosen"]["lr"]
    base = card.metrics["baseline"]
    assert base["model"] == "tfidf+logreg" and base["accuracy"] == 1.0  # disjoint vocabularies
    assert card.metrics["vs_baseline"]["accuracy"] == pytest.approx(card.metrics["accuracy"] - 1.0)
    assert "vs baseline (TF-IDF + logistic regression" in res.report
    stored = json.loads((res.model_dir / "evaluation.json").read_text())
    assert stored["baseline"]["accuracy"] == 1.0
    assert (res.model_dir / "baseline.safetensors").exists()
    assert res.promoted == (res.not_promoted_because is None)
    # `verticals evaluate --data` scores the stored baseline beside the model on the new rows.
    from typer.testing import CliRunner

    from shared.cli.main import app

    data = tmp_path / "fresh.csv"
    separable.head(20).to_csv(data, index=False)
    out = CliRunner().invoke(app, ["evaluate", "--name", "auto", "--data", str(data)])
    assert out.exit_code == 0, out.output
    assert "vs baseline (TF-IDF + logistic regression" in out.output
    line = next(ln for ln in out.output.splitlines() if ln.startswith("TF-IDF + logistic regr."))
    assert line.split()[-2:] == ["1.000", "1.000"]  # test acc and macro-F1 of the stored baseline
    listing = CliRunner().invoke(app, ["models", "list"])
    assert "vs TF-IDF+LR" in listing.output


def test_budget_parsing_candidates_and_clock():
    from shared.errors import ConfigError
    from shared.tasks.classification.search import BudgetClock, candidates, parse_budget

    assert [parse_budget(x) for x in ("15m", "900s", "1h", "90", 30)] == [900, 900, 3600, 90, 30]
    assert parse_budget(None) is None
    with pytest.raises(ConfigError, match="'15 minutes' is not a duration"):
        parse_budget("15 minutes")
    cfg = apply_recipe(choose_recipe(3876, 3, MINILM), TrainConfig())
    names = [(label, c.optim.lr, c.optim.head_lr_multiplier) for label, c in candidates(cfg)]
    assert names == [("recipe", 5e-5, 20.0), ("lr x2", 1e-4, 20.0), ("lr x0.5", 2.5e-5, 20.0),
                     ("head lr x1", 5e-5, 1.0)]
    now = [0.0]
    clock = BudgetClock(100, clock=lambda: now[0])
    now[0] = 40.0
    clock.record(40.0)
    assert clock.fits_another()          # 40 spent + 40 more <= 100
    now[0] = 70.0
    assert not clock.fits_another()      # 70 + 40 > 100


def test_budget_search_keeps_the_best_on_dev(tmp_path, separable):
    res = finetune(separable, name="searched", registry=Registry(tmp_path / "reg"), budget_s=3600,
                   config=TrainConfig(epochs=1, progress=False), pinned=["epochs"])
    search = res.card.training["search"]
    ran = [c for c in search["candidates"] if "dev_accuracy" in c]
    assert [c["candidate"] for c in ran] == ["recipe", "lr x2", "lr x0.5", "head lr x1"]
    best = max(ran, key=lambda c: c["dev_accuracy"])  # first of equals wins, as in the search
    assert search["chosen"] == best["candidate"]
    chosen = next(c for c in ran if c["candidate"] == search["chosen"])
    assert res.card.hyperparameters["lr"] == chosen["lr"]
    assert res.card.metrics["dev_accuracy"] == chosen["dev_accuracy"]


def test_auto_under_differential_privacy_is_lora(tmp_path, separable):
    from shared.errors import ConfigError
    from shared.privacy.config import PrivacyConfig

    res = finetune(separable, name="dp-auto", registry=Registry(tmp_path / "reg"), privacy=PrivacyConfig(epsilon=8),
                   config=TrainConfig(epochs=1, progress=False), force=True)
    assert res.card.method == "lora" and res.card.privacy is not None
    assert "differential privacy" in res.card.training["recipe"]["chosen"]["why"][0]
    with pytest.raises(ConfigError, match="--budget searches around the auto recipe"):
        finetune(separable, name="x", registry=Registry(tmp_path / "reg"), privacy=PrivacyConfig(epsilon=8),
                 budget_s=60)
