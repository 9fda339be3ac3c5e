"""Workspaces side by side: each has its knowledge base, intent model, templates and conversations.

`Workspaces` is the service the CLI and the console use. Heavy collaborators (encoders, intent models,
generators) are loaded through injectable loaders and shared between workspaces that name the same one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from customer_service.bot import Bot
from customer_service.compose import Composer, EndpointGenerator, Generator, LocalGenerator
from customer_service.errors import SettingsError
from customer_service.intent_confidence import with_confidence
from customer_service.intents import CoreIntentModel, IntentModel
from customer_service.knowledge import KnowledgeBase
from customer_service.settings import WorkspaceSettings
from customer_service.store import Store, Workspace
from shared.auth import Identity, require
from shared.encoders import Encoder, load_encoder

log = logging.getLogger(__name__)


class Workspaces:
    def __init__(self, store: Store | None = None, *,
                 encoder_loader: Callable[[str], Encoder] | None = None,
                 intent_loader: Callable[[str], IntentModel] = CoreIntentModel.load,
                 generator_loader: Callable[[str], Generator] = LocalGenerator.load,
                 examples_loader: Callable[[str], tuple[list[str], list[str]]] | None = None) -> None:
        self.store = store or Store()
        self._encoder_loader = encoder_loader or (lambda name: load_encoder(name))  # looked up at call time
        self._intent_loader = intent_loader
        self._generator_loader = generator_loader
        self._examples_loader = examples_loader or intent_training_examples
        self._scored_intents: dict[tuple[Any, ...], IntentModel] = {}
        self._encoders: dict[str, Encoder] = {}
        self._intents: dict[str, IntentModel] = {}
        self._generators: dict[str, Generator] = {}
        self._knowledge: dict[str, KnowledgeBase] = {}

    # ---- workspace records ---------------------------------------------------------------------------
    def create(self, name: str, settings: WorkspaceSettings | None = None, now: datetime | None = None, *,
               actor: Identity | None = None) -> Workspace:
        require(actor, "bot.supervise")
        return self.store.create_workspace(name, (settings or WorkspaceSettings()).to_dict(), now=now, actor=actor)

    def ensure(self, name: str, settings: WorkspaceSettings | None = None) -> Workspace:
        if name in self.names():
            return self.store.workspace(name)
        return self.create(name, settings)

    def names(self) -> list[str]:
        return [w.name for w in self.store.workspaces()]

    def get(self, name: str) -> Workspace:
        return self.store.workspace(name)

    def settings(self, name: str) -> WorkspaceSettings:
        return WorkspaceSettings.from_dict(self.store.workspace(name).settings)

    def save_settings(self, name: str, settings: WorkspaceSettings, *, actor: Identity | None = None) -> None:
        """Templates, calibrated thresholds, models: a supervisor's change, audited by section."""
        require(actor, "bot.supervise")
        ws = self.store.workspace(name)
        old = WorkspaceSettings.from_dict(ws.settings)
        self.store.save_settings(ws.id, settings.to_dict(), actor=actor)
        if old.retrieval != settings.retrieval:
            self._knowledge.pop(name, None)  # re-opened (and re-encoded if the encoder changed) on next use

    def delete(self, name: str, *, actor: Identity | None = None) -> None:
        require(actor, "bot.supervise")
        self.store.delete_workspace(name, actor=actor)
        self._knowledge.pop(name, None)

    # ---- collaborators --------------------------------------------------------------------------------
    def encoder(self, name: str) -> Encoder:
        if name not in self._encoders:
            self._encoders[name] = self._encoder_loader(name)
        return self._encoders[name]

    def knowledge(self, name: str) -> KnowledgeBase:
        if name not in self._knowledge:
            ws = self.store.workspace(name)
            settings = WorkspaceSettings.from_dict(ws.settings)
            retrieval = settings.retrieval
            self._knowledge[name] = KnowledgeBase(
                self.store, ws.id, self.encoder(retrieval.encoder), retrieval,
                index_encoder=self.encoder(retrieval.index_encoder) if retrieval.index_encoder else None)
        return self._knowledge[name]

    def intents(self, task_name: str) -> IntentModel:
        if task_name not in self._intents:
            self._intents[task_name] = self._intent_loader(task_name)
        return self._intents[task_name]

    def forget_intents(self, task_name: str) -> None:
        """Drop a cached intent model (after a retrain promoted a new version)."""
        self._intents.pop(task_name, None)
        for key in [k for k in self._scored_intents if k[0] == task_name]:
            del self._scored_intents[key]

    def intent_model(self, settings: WorkspaceSettings) -> IntentModel | None:
        """The workspace's intent model, scored with the confidence its handoff threshold was set for."""
        if not settings.intent_model:
            return None
        kind = settings.handoff.intent_confidence
        key = (settings.intent_model, kind, settings.intent_data, settings.blend_weights())
        if key not in self._scored_intents:
            model = self.intents(settings.intent_model)
            if kind == "nearest":
                texts, labels = self._examples_loader(settings.intent_data) if settings.intent_data else ([], [])
                model = with_confidence(model, kind, self.encoder(CONFIDENCE_ENCODER), texts,
                                        cache=intent_cache(),
                                        example_labels=labels, blend=settings.blend_weights())
            self._scored_intents[key] = model
        return self._scored_intents[key]

    def choose_intent_blend(self, name: str, train: Any, dev: Any, *,
                            actor: Identity | None = None) -> WorkspaceSettings:
        """Choose the intent blend's weights (intent_blend.py) on `dev` for the current intent model, store
        them and return the settings. `train`: the frames' text,label the model and its examples come from."""
        from customer_service.intent_blend import fit_blend
        from customer_service.intent_confidence import example_vectors

        settings = self.settings(name)
        cache = intent_cache()  # where the bot reads them back
        encoder = self.encoder(CONFIDENCE_ENCODER)
        texts, labels = train["text"].astype(str).tolist(), train["label"].astype(str).tolist()
        weights, chosen = fit_blend(self.intents(settings.intent_model), encoder, texts, labels,
                                    dev["text"].astype(str).tolist(), dev["label"].astype(str).tolist(), cache=cache,
                                    example_vectors=example_vectors(encoder, texts, cache))
        settings.intent_lexical_weight, settings.intent_neighbour_weight = weights.lexical, weights.neighbours
        self.save_settings(name, settings, actor=actor)
        self.forget_intents(settings.intent_model)
        log.info("%s intent blend: lexical %s, neighbours %s (%s)", name, weights.lexical, weights.neighbours, chosen)
        return settings

    def composer(self, settings: WorkspaceSettings) -> Composer:
        gen = settings.generation
        generator: Generator | None = None
        if gen.mode == "local":
            if gen.model not in self._generators:
                self._generators[gen.model] = self._generator_loader(gen.model)
            generator = self._generators[gen.model]
        elif gen.mode == "endpoint":
            generator = EndpointGenerator()
        return Composer(gen, generator)

    def bot(self, name: str, *, intents: IntentModel | None = None, generator: Generator | None = None) -> Bot:
        ws = self.store.workspace(name)
        settings = WorkspaceSettings.from_dict(ws.settings)
        if intents is None:
            intents = self.intent_model(settings)
        composer = Composer(settings.generation, generator) if generator is not None else self.composer(settings)
        return Bot(store=self.store, workspace_id=ws.id, settings=settings, knowledge=self.knowledge(name),
                   intents=intents, composer=composer)

    def summary(self, name: str) -> dict[str, Any]:
        ws = self.store.workspace(name)
        settings = WorkspaceSettings.from_dict(ws.settings)
        return {"name": name, "documents": len(self.store.documents(ws.id)), "chunks": self.store.count_chunks(ws.id),
                "intent_model": settings.intent_model or "-", "templates": len(settings.templates),
                "conversations": len(self.store.conversations(ws.id)), "generation": settings.generation.mode,
                "intent_threshold": settings.handoff.intent_threshold,
                "retrieval_threshold": settings.handoff.retrieval_threshold,
                "calibrated": settings.handoff.calibrated}


CONFIDENCE_ENCODER = "minilm"  # the frozen packaged encoder: a fine-tuned retrieval encoder must not move thresholds


def intent_cache() -> Path:
    """Where example vectors and lexical intent models are cached (keyed by their inputs)."""
    from shared.paths import cache_dir

    return cache_dir("customer_service") / "intent_examples"


def intent_training_examples(intent_data: str) -> tuple[list[str], list[str]]:
    """The (texts, labels) the intent model was trained on: the training part of its base data's fixed dev split."""
    from customer_service.feedback import dev_split, load_intent_base

    train, _ = dev_split(load_intent_base(intent_data))
    return train["text"].astype(str).tolist(), train["label"].astype(str).tolist()


def check_generation_mode(mode: str) -> str:
    if mode not in ("off", "local", "endpoint"):
        raise SettingsError(f"generation mode must be off, local or endpoint, got {mode!r}.")
    return mode
