"""Calibrate any workspace's handoff thresholds on its own data (`verticals bot calibrate`, the console's
supervisor button, and after `retrain` / `blend`).

- intent threshold: on the dev split of the workspace's intent data, scored exactly as the bot scores it;
- retrieval threshold: on the workspace's FAQ pairs, each held-out question searched against the answers
  (its own question is not indexed here, which mimics a customer's paraphrase).

Out-of-scope examples come from the team's file when given. Otherwise a share of the intents (and of the
FAQ) is held out as pseudo-out-of-scope: for the intents, their examples are removed from what the
confidence is measured against and their dev questions must be handed over; for the FAQ, their answers are
removed from the candidates. Thresholds then meet a precision target on in-scope dev and a rejection target
on out-of-scope (calibration.py, the stricter of the two).

What was measured is stored with the thresholds (`HandoffSettings.calibration`), so the console can say
whether a workspace is calibrated, on what, and with which expected coverage and precision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_service.calibration import Calibration, calibrate
from customer_service.errors import NoTrainingDataError
from shared.auth import Identity, require

if TYPE_CHECKING:
    from customer_service.workspace import Workspaces
    from shared.encoders import Encoder

log = logging.getLogger(__name__)

# The targets the demo's workspaces were calibrated with (intents: a wrong template is costly).
INTENT_TARGETS = (0.97, 0.95)      # precision on in-scope dev, rejection of out-of-scope
RETRIEVAL_TARGETS = (0.9, 0.95)
HOLDOUT_SHARE = 0.2
MIN_FAQ_PAIRS = 10


@dataclass
class CalibrationResult:
    workspace: str
    intent: dict[str, Any] | None
    retrieval: dict[str, Any] | None
    skipped: dict[str, str]

    def lines(self) -> list[str]:
        out = []
        for what, cal in (("intent", self.intent), ("retrieval", self.retrieval)):
            if cal is not None:
                rej = "" if cal["rejection"] is None else f", hands over {cal['rejection']:.1%} of out-of-scope"
                out.append(f"{what} threshold {cal['threshold']:.4f}: answers {cal['coverage']:.1%} of in-scope dev "
                           f"at precision {cal['precision']:.1%}{rej} ({cal['on']})")
        out += [f"{what}: not calibrated ({why})" for what, why in self.skipped.items()]
        return out


def read_out_of_scope(path: Path) -> list[str]:
    """Out-of-scope questions: a text file (one a line) or a CSV/JSONL with a text or question column."""
    from customer_service.errors import SettingsError

    if not path.is_file():
        raise SettingsError(f"Out-of-scope file {str(path)!r} does not exist: give a text file with one "
                            "question a line, or a CSV with a 'text' or 'question' column.")
    if path.suffix.lower() in (".csv", ".jsonl"):
        frame = pd.read_json(path, lines=True) if path.suffix.lower() == ".jsonl" else pd.read_csv(path)
        col = next((c for c in ("text", "question") if c in frame.columns), None)
        if col is None:
            raise SettingsError(f"{path.name} has no 'text' or 'question' column (found {list(frame.columns)}).")
        texts = frame[col].dropna().astype(str).tolist()
    else:
        texts = path.read_text(encoding="utf-8-sig").splitlines()
    texts = [t.strip() for t in texts if t.strip()]
    if not texts:
        raise SettingsError(f"Out-of-scope file {path.name} has no questions in it.")
    return texts


# ---- retrieval ---------------------------------------------------------------------------------------

def calibrate_retrieval(encoder: Encoder, faq: pd.DataFrame, out_of_scope: list[str] | None = None, *,
                        target_precision: float = RETRIEVAL_TARGETS[0],
                        target_rejection: float = RETRIEVAL_TARGETS[1], holdout_share: float = HOLDOUT_SHARE,
                        seed: int = 42) -> tuple[Calibration, str]:
    """Threshold on the top passage's cosine similarity; returns it and what it was measured on.

    In-scope dev: 20% of the FAQ questions searched against the answers only. Out-of-scope: `out_of_scope`
    when given; else `holdout_share` of the pairs whose answers are taken out of the candidates.
    """
    faq = faq.reset_index(drop=True)
    if out_of_scope:
        kept, held = faq, faq.iloc[:0]
    else:
        held = faq.sample(n=max(1, round(holdout_share * len(faq))), random_state=seed + 1)
        kept = faq.drop(held.index)
    dev = kept.sample(n=max(1, round(0.2 * len(faq))), random_state=seed)
    answers = encoder.encode(kept["answer"].tolist())
    sims = encoder.encode(dev["question"].tolist()) @ answers.T
    correct = sims.argmax(1) == np.asarray([kept.index.get_loc(i) for i in dev.index])
    if out_of_scope:
        oos_texts, on = list(out_of_scope), f"{len(dev)} FAQ questions, {len(out_of_scope)} out-of-scope from a file"
    else:
        oos_texts = held["question"].tolist()
        on = f"{len(dev)} FAQ questions, {len(held)} held-out FAQ pairs as pseudo-out-of-scope"
    oos = (encoder.encode(oos_texts) @ answers.T).max(1)
    cal = calibrate(sims.max(1), correct, oos, target_precision=target_precision, target_rejection=target_rejection)
    return cal, on


def faq_pairs(ws: Workspaces, name: str) -> pd.DataFrame:
    """The question/answer pairs of the workspace's FAQ documents (from the chunks' metadata)."""
    w = ws.get(name)
    rows = [(c.meta.get("question"), c.meta.get("answer")) for c in ws.store.chunks(w.id)
            if c.meta.get("question") and c.meta.get("answer")]
    return pd.DataFrame(rows, columns=["question", "answer"]).drop_duplicates("question").reset_index(drop=True)


# ---- intents -----------------------------------------------------------------------------------------

def intent_scores(model: Any, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The bot's confidence for each row, and whether its label is right."""
    guesses = model.predict(frame["text"].astype(str).tolist())
    scores = np.asarray([g.score for g in guesses], dtype=float)
    correct = np.asarray([g.label for g in guesses]) == frame["label"].astype(str).to_numpy()
    return scores, correct


def calibrate_intents(model: Any, dev: pd.DataFrame, out_of_scope: list[str], *,
                      target_precision: float = INTENT_TARGETS[0],
                      target_rejection: float = INTENT_TARGETS[1]) -> Calibration:
    """The demo's intent calibration: the bot-scored model on dev, with real out-of-scope questions."""
    scores, correct = intent_scores(model, dev)
    oos = np.asarray([g.score for g in model.predict(list(out_of_scope))]) if out_of_scope else None
    return calibrate(scores, correct, oos, target_precision=target_precision, target_rejection=target_rejection)


def held_out_intents(labels: list[str], share: float, seed: int) -> set[str]:
    rng = np.random.default_rng(seed)
    labels = sorted(set(labels))
    n = max(1, round(share * len(labels)))
    if n >= len(labels):
        raise NoTrainingDataError(f"Only {len(labels)} intents: holding {n} out as pseudo-out-of-scope leaves none "
                                  "in scope. Give out-of-scope examples with --out-of-scope FILE.")
    return set(rng.choice(labels, size=n, replace=False).tolist())


def calibrate_intents_held_out(ws: Workspaces, settings: Any, train: pd.DataFrame, dev: pd.DataFrame, *,
                               share: float = HOLDOUT_SHARE, seed: int = 42) -> tuple[Calibration, str]:
    """No out-of-scope file: `share` of the intents play out-of-scope.

    The confidence is measured against the other intents' examples only (as if the held-out intents had
    never been taught), the held-out intents' dev questions must be handed over, and the rest must be
    answered precisely. Under softmax confidence the probabilities are renormalised over the kept intents.
    """
    from customer_service.intent_confidence import with_confidence
    from customer_service.workspace import CONFIDENCE_ENCODER, intent_cache

    held = held_out_intents(train["label"].astype(str).tolist(), share, seed)
    keep_train = train[~train["label"].astype(str).isin(held)]
    in_dev = dev[~dev["label"].astype(str).isin(held)]
    out_dev = dev[dev["label"].astype(str).isin(held)]
    base = ws.intents(settings.intent_model)
    if settings.handoff.intent_confidence == "nearest":
        model = with_confidence(base, "nearest", ws.encoder(CONFIDENCE_ENCODER),
                                keep_train["text"].astype(str).tolist(), cache=intent_cache(),
                                example_labels=keep_train["label"].astype(str).tolist(),
                                blend=settings.blend_weights())
        scores, correct = intent_scores(model, in_dev)
        oos = np.asarray([g.score for g in model.predict(out_dev["text"].astype(str).tolist())])
    else:
        labels = list(base.labels)
        kept = np.asarray([lab not in held for lab in labels])
        def restricted(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
            probs = base.predict_proba(texts)[:, kept]
            probs = probs / np.maximum(probs.sum(1, keepdims=True), 1e-12)
            return probs.max(1), np.asarray(labels)[kept][probs.argmax(1)]
        scores, predicted = restricted(in_dev["text"].astype(str).tolist())
        correct = predicted == in_dev["label"].astype(str).to_numpy()
        oos, _ = restricted(out_dev["text"].astype(str).tolist())
    cal = calibrate(scores, correct, oos, target_precision=INTENT_TARGETS[0], target_rejection=INTENT_TARGETS[1])
    on = (f"{len(in_dev)} dev questions of {train['label'].nunique() - len(held)} intents; {len(out_dev)} of "
          f"{len(held)} held-out intents as pseudo-out-of-scope")
    return cal, on


# ---- the service -------------------------------------------------------------------------------------

def calibrate_workspace(ws: Workspaces, name: str, out_of_scope: list[str] | None = None, *,
                        data_dir: str | Path | None = None, holdout_share: float = HOLDOUT_SHARE, seed: int = 42,
                        now: datetime | None = None, actor: Identity | None = None) -> CalibrationResult:
    """Choose and store the workspace's intent and retrieval thresholds on its own data (a supervisor's job)."""
    from customer_service.feedback import dev_split, load_intent_base
    from customer_service.settings import HandoffSettings

    require(actor, "bot.supervise")
    settings = ws.settings(name)
    skipped: dict[str, str] = {}
    intent = retrieval = None
    if not settings.intent_model:
        skipped["intent"] = "the workspace has no intent model"
    elif not settings.intent_data:
        skipped["intent"] = "the workspace has no intent_data to hold a dev split out of"
    else:
        train, dev = dev_split(load_intent_base(settings.intent_data, data_dir))
        if out_of_scope:
            cal = calibrate_intents(ws.intent_model(settings), dev, out_of_scope)
            on = f"{len(dev)} dev questions, {len(out_of_scope)} out-of-scope from a file"
        else:
            cal, on = calibrate_intents_held_out(ws, settings, train, dev, share=holdout_share, seed=seed)
        intent = {**cal.as_dict(), "threshold": round(cal.threshold, 4), "on": on}
    faq = faq_pairs(ws, name)
    if len(faq) < MIN_FAQ_PAIRS:
        skipped["retrieval"] = (f"{len(faq)} FAQ question/answer pairs; calibrating retrieval needs at least "
                                f"{MIN_FAQ_PAIRS} (documents alone do not say which passage is right)")
    else:
        cal, on = calibrate_retrieval(ws.knowledge(name).encoder, faq, out_of_scope, holdout_share=holdout_share,
                                      seed=seed)
        retrieval = {**cal.as_dict(), "threshold": round(cal.threshold, 4), "on": on}
    if intent is None and retrieval is None:
        raise NoTrainingDataError(f"Nothing to calibrate in workspace {name!r}: "
                                  + "; ".join(f"{k}: {v}" for k, v in skipped.items()) + ".")
    handoff = settings.handoff
    settings = ws.settings(name)  # re-read: the held-out pass must not overwrite a concurrent change
    settings.handoff = HandoffSettings(
        intent_threshold=intent["threshold"] if intent else handoff.intent_threshold,
        retrieval_threshold=retrieval["threshold"] if retrieval else handoff.retrieval_threshold,
        calibrated=True, intent_confidence=handoff.intent_confidence,
        calibration={"at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
                     "intent": intent, "retrieval": retrieval, "skipped": skipped})
    ws.save_settings(name, settings, actor=actor)
    result = CalibrationResult(name, intent, retrieval, skipped)
    for line in result.lines():
        log.info("%s: %s", name, line)
    return result


def calibration_status(settings: Any) -> dict[str, Any]:
    """What the console shows: calibrated or not, when, on what, and the expected coverage and precision."""
    handoff = settings.handoff
    info = handoff.calibration or {}
    rows = []
    for what, threshold in (("intent", handoff.intent_threshold), ("retrieval", handoff.retrieval_threshold)):
        cal = info.get(what)
        rows.append({"threshold": what, "value": round(float(threshold), 4),
                     "calibrated on": cal["on"] if cal else ("(not recorded)" if handoff.calibrated else "default"),
                     "expected coverage": f"{cal['coverage']:.1%}" if cal else "",
                     "expected precision": f"{cal['precision']:.1%}" if cal else "",
                     "out-of-scope handed over": (f"{cal['rejection']:.1%}" if cal and cal.get("rejection") is not None
                                                  else "")})
    return {"calibrated": bool(handoff.calibrated), "at": info.get("at", ""), "rows": rows,
            "skipped": info.get("skipped") or {}}
