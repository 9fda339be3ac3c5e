"""Workspace calibration without out-of-scope data vs the demo's calibration with real out-of-domain questions.

Banking77 with 20% of its intents unseen: they are left out of training entirely and come back only at
test time, as the questions the bot should hand over. The intent model (MiniLM head through the core, the
bot's nearest-example confidence and intent blend) trains on the other 80%. Two intent thresholds for the
same model, then both judged on the published test set:
- `verticals bot calibrate` (customer_service/workspace_calibration.py): no out-of-scope file, so 20% of the
  *seen* intents are held out of the confidence as pseudo-out-of-scope;
- the demo's calibration: the same dev split plus real out-of-domain questions (the construction FAQ).
Reported: handoff rate of the unseen intents' test questions, and coverage and accuracy of the answered
seen-intent test questions.

    nice -n 10 python bench/bot_calibration.py --json bench-out/bot_calibration.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def judge(model, threshold: float, seen, unseen) -> dict[str, float]:
    from customer_service.workspace_calibration import intent_scores

    s_seen, correct = intent_scores(model, seen)
    s_unseen = np.asarray([g.score for g in model.predict(unseen["text"].astype(str).tolist())])
    answered = s_seen >= threshold
    return {"threshold": round(float(threshold), 4), "unseen_handoff": float((s_unseen < threshold).mean()),
            "seen_coverage": float(answered.mean()),
            "seen_answered_accuracy": float(correct[answered].mean()) if answered.any() else float("nan"),
            "seen_accuracy_all": float(correct.mean())}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.environ.get("VERTICALS_DATA"))
    p.add_argument("--unseen-share", type=float, default=0.2)
    p.add_argument("--epochs", type=int, default=10, help="Head epochs (the bot's default for head).")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not args.data_dir:
        p.error("give --data-dir or set VERTICALS_DATA")

    from customer_service.feedback import dev_split
    from customer_service.intents import CoreIntentModel
    from customer_service.settings import WorkspaceSettings
    from customer_service.store import Store
    from customer_service.workspace import Workspaces
    from customer_service.workspace_calibration import calibrate_intents, calibrate_workspace
    from shared.api import finetune
    from shared.config import TrainConfig
    from shared.datasets import load_banking77
    from shared.datasets.construction_faq import load_construction_faq
    from shared.registry import Registry

    train_all, test = load_banking77(args.data_dir)
    rng = np.random.default_rng(args.seed)
    intents = sorted(train_all["label"].unique())
    unseen = set(rng.choice(intents, size=round(args.unseen_share * len(intents)), replace=False).tolist())
    seen_train = train_all[~train_all["label"].isin(unseen)].reset_index(drop=True)
    print(f"Banking77: {len(intents) - len(unseen)} seen intents ({len(seen_train)} training questions), "
          f"{len(unseen)} unseen", flush=True)
    out: dict = {"unseen_intents": sorted(unseen)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["VERTICALS_HOME"] = str(tmp_path / "home")
        registry = Registry(tmp_path / "registry")
        csv = tmp_path / "intents.csv"
        seen_train[["text", "label"]].to_csv(csv, index=False)
        train, dev = dev_split(seen_train)
        started = time.perf_counter()
        res = finetune(None, name="b77-seen", method="head", splits=(train, dev, dev), registry=registry,
                       config=TrainConfig(epochs=args.epochs, progress=False))
        out["train_s"] = round(time.perf_counter() - started, 1)
        out["intent_model"] = {k: res.card.metrics.get(k) for k in ("accuracy", "dev_accuracy")}
        ws = Workspaces(Store(f"sqlite:///{tmp_path / 'bot.db'}"),
                        intent_loader=lambda name: CoreIntentModel.load(name, registry=registry))
        ws.create("team", WorkspaceSettings(intent_model="b77-seen", intent_data=str(csv),
                                            templates={i: i for i in seen_train["label"].unique()}))
        ws.choose_intent_blend("team", train, dev)  # as `verticals bot blend` does
        started = time.perf_counter()
        result = calibrate_workspace(ws, "team", seed=args.seed)
        out["calibrate_s"] = round(time.perf_counter() - started, 1)
        model = ws.intent_model(ws.settings("team"))
        test_seen = test[~test["label"].isin(unseen)]
        test_unseen = test[test["label"].isin(unseen)]
        out["workspace_calibration"] = {**judge(model, result.intent["threshold"], test_seen, test_unseen),
                                        "on": result.intent["on"], "dev_expected": result.intent}
        faq = load_construction_faq("en")["question"].tolist()
        demo = calibrate_intents(model, dev, faq)
        out["demo_calibration"] = {**judge(model, demo.threshold, test_seen, test_unseen),
                                   "on": f"{len(dev)} dev questions, {len(faq)} construction-FAQ questions",
                                   "dev_expected": demo.as_dict()}
    print(f"\n{'calibration':<44}{'threshold':>10}{'unseen handed over':>20}{'seen coverage':>15}"
          f"{'answered acc':>14}")
    for key, label in (("workspace_calibration", "bot calibrate (held-out intents, no OOS file)"),
                       ("demo_calibration", "demo (dev + real out-of-domain questions)")):
        r = out[key]
        print(f"{label:<44}{r['threshold']:>10.4f}{r['unseen_handoff']:>20.3f}{r['seen_coverage']:>15.3f}"
              f"{r['seen_answered_accuracy']:>14.3f}")
    print(f"(intent model test accuracy on seen intents, all answered: "
          f"{out['workspace_calibration']['seen_accuracy_all']:.3f})")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
