"""`verticals bot calibrate` on a workspace built from a team's own CSV of intents and FAQ: thresholds
chosen on its own dev data, with pseudo-out-of-scope held out, or with the team's out-of-scope file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from customer_service.calibration import evaluate_threshold
from customer_service.errors import NoTrainingDataError
from customer_service.settings import HandoffSettings, WorkspaceSettings
from customer_service.workspace_calibration import (
    calibrate_retrieval,
    calibrate_workspace,
    calibration_status,
    faq_pairs,
    read_out_of_scope,
)
from shared.auth import Identity, PermissionDenied

INTENTS = ["card_arrival", "lost_or_stolen_card", "request_refund", "change_pin", "exchange_rate", "age_limit"]
OOS = ["What is the best pizza topping?", "Who won the football match last night?", "How tall is Mount Everest?",
       "Recommend a good novel to read", "What time does the cinema open?", "How do I bake sourdough bread?"] * 2


@pytest.fixture(scope="module")
def team_csv(tmp_path_factory) -> pd.DataFrame:
    from shared.datasets import load_banking77

    train, _ = load_banking77()
    return train[train["label"].isin(INTENTS)].groupby("label").head(40).reset_index(drop=True)


@pytest.fixture
def team_workspace(workspaces, team_csv, faq, tmp_path):
    """A team's workspace: intents from its CSV (head model through the core), FAQ from its CSV."""
    from customer_service.feedback import dev_split
    from shared.api import finetune
    from shared.config import TrainConfig

    intents_csv = tmp_path / "intents.csv"
    team_csv.to_csv(intents_csv, index=False)
    faq_csv = tmp_path / "faq.csv"
    faq[["question", "answer"]].to_csv(faq_csv, index=False)
    train, dev = dev_split(pd.read_csv(intents_csv))
    finetune(None, name="team-intents", method="head", splits=(train, dev, dev),
             config=TrainConfig(epochs=30, patience=5, progress=False), force=True)
    workspaces.create("team", WorkspaceSettings(intent_model="team-intents", intent_data=str(intents_csv),
                                                templates={i: f"Answer about {i}." for i in INTENTS}))
    workspaces.knowledge("team").ingest_bytes("faq.csv", faq_csv.read_bytes())
    return workspaces


def test_calibrate_with_held_out_intents_and_faq(team_workspace, faq):
    ws = team_workspace
    assert not ws.settings("team").handoff.calibrated
    assert calibration_status(ws.settings("team"))["calibrated"] is False
    result = calibrate_workspace(ws, "team")
    settings = ws.settings("team")
    h = settings.handoff
    assert h.calibrated and h.intent_confidence == "nearest"
    assert h.intent_threshold == result.intent["threshold"] and h.retrieval_threshold == result.retrieval["threshold"]
    assert "1 held-out intents as pseudo-out-of-scope" in result.intent["on"]       # 20% of 6 intents
    assert f"{round(0.2 * len(faq))} held-out FAQ pairs" in result.retrieval["on"]
    for cal in (result.intent, result.retrieval):
        assert 0 <= cal["coverage"] <= 1 and cal["rejection"] is not None
        assert cal["precision"] >= 0.9 or cal["coverage"] == 0   # the precision target, or hand over everything
    status = calibration_status(settings)
    assert status["calibrated"] and status["rows"][0]["expected coverage"] == f"{result.intent['coverage']:.1%}"
    bot = ws.bot("team")
    p = bot.propose(bot.start(), "I lost my card yesterday, someone may have stolen it")
    assert p.confidence >= h.intent_threshold or p.route != "template"  # routed by the calibrated threshold
    assert bot.propose(bot.start(), "What is the best pizza topping?").route == "handoff"


def test_calibrate_with_out_of_scope_file_meets_rejection(team_workspace, tmp_path):
    oos_file = tmp_path / "oos.txt"
    oos_file.write_text("\n".join(OOS) + "\n\n")
    texts = read_out_of_scope(oos_file)
    assert texts == OOS
    result = calibrate_workspace(team_workspace, "team", texts)
    assert result.intent["on"].endswith(f"{len(OOS)} out-of-scope from a file")
    assert result.intent["rejection"] >= 0.95 and result.retrieval["rejection"] >= 0.95
    model = team_workspace.intent_model(team_workspace.settings("team"))
    scores = np.asarray([g.score for g in model.predict(OOS)])
    # The stored threshold hands over the file's questions as measured.
    assert (scores < result.intent["threshold"]).mean() == pytest.approx(result.intent["rejection"])


def test_retrieval_calibration_matches_a_direct_evaluation(encoder, faq):
    cal, on = calibrate_retrieval(encoder, faq, OOS)
    answers = encoder.encode(faq["answer"].tolist())
    dev = faq.sample(n=round(0.2 * len(faq)), random_state=42)
    sims = encoder.encode(dev["question"].tolist()) @ answers.T
    correct = sims.argmax(1) == np.asarray([faq.index.get_loc(i) for i in dev.index])
    oos = (encoder.encode(OOS) @ answers.T).max(1)
    again = evaluate_threshold(cal.threshold, sims.max(1), correct, oos)
    assert again == cal and on == f"{len(dev)} FAQ questions, {len(OOS)} out-of-scope from a file"


def test_nothing_to_calibrate_and_permission_are_clear(workspaces, tmp_path):
    workspaces.create("empty", WorkspaceSettings(handoff=HandoffSettings(intent_confidence="softmax")))
    with pytest.raises(NoTrainingDataError, match="Nothing to calibrate in workspace 'empty'"):
        calibrate_workspace(workspaces, "empty")
    assert faq_pairs(workspaces, "empty").empty
    with pytest.raises(PermissionDenied, match="bot.supervise"):
        calibrate_workspace(workspaces, "empty", actor=Identity("ann", "agent"))
    from customer_service.errors import SettingsError

    with pytest.raises(SettingsError, match="does not exist"):
        read_out_of_scope(tmp_path / "missing.txt")


def test_cli_calibrate(team_workspace, encoder, monkeypatch, tmp_path):
    import customer_service.workspace as wsmod
    from customer_service.cli import app

    monkeypatch.setattr(wsmod, "load_encoder", lambda name: encoder)
    oos_file = tmp_path / "oos.csv"
    pd.DataFrame({"text": OOS}).to_csv(oos_file, index=False)
    db = str(team_workspace.store.engine.url)
    res = CliRunner().invoke(app, ["calibrate", "team", "--out-of-scope", str(oos_file), "--db", db])
    assert res.exit_code == 0, res.output
    assert "team: intent threshold" in res.output and "team: retrieval threshold" in res.output
    settings = team_workspace.settings("team")
    assert settings.handoff.calibration["intent"]["on"].endswith("out-of-scope from a file")
    listing = CliRunner().invoke(app, ["workspaces", "--db", db])
    assert "team:" in listing.output and "(calibrated)" in listing.output
