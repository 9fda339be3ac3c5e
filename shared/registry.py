"""A local model registry: versions per task name, one marked current, promote and roll back.

Layout under the root: `<name>/v0001/` (a model folder with its card.json) and `<name>/index.json`
(`{"current": "v0002", "promotions": ["v0001", "v0002"]}`). A model is trained into a staging folder and
renamed into place only when complete, so a crash never leaves a half-written version.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.auth.identity import Identity, require
from shared.card import CARD_FILE, ModelCard
from shared.errors import PromotionRefused, RegistryError
from shared.names import check_name as _check
from shared.paths import verticals_home

log = logging.getLogger(__name__)

VERSION_RE = re.compile(r"v\d+")


def parse_ref(ref: str) -> tuple[str, str | None]:
    """'name@v0003' -> ('name', 'v0003'); a name, catalogue name or folder -> (ref, None)."""
    name, sep, version = ref.rpartition("@")
    return (name, version) if sep and name and VERSION_RE.fullmatch(version) else (ref, None)


class Registry:
    def __init__(self, root: str | os.PathLike[str] | None = None, *, audit_url: str | None = None):
        """`audit_url`: the database promotions and rollbacks are recorded in (default: the suite database)."""
        self.root = Path(root) if root is not None else verticals_home() / "registry"
        self.root.mkdir(parents=True, exist_ok=True)
        self.audit_url = audit_url

    # -- reading -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and (p / "index.json").exists())

    def versions(self, name: str) -> list[str]:
        folder = self._task_dir(name)
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / CARD_FILE).exists())

    def list(self, name: str | None = None) -> list[ModelCard]:
        names = [name] if name else self.names()
        return [ModelCard.load(self.root / n / v) for n in names for v in self.versions(n)]

    def current_version(self, name: str) -> str:
        index = self._index(name)
        if not index.get("current"):
            raise RegistryError(f"Model {name!r} has no current version: promote one with "
                                f"`verticals models promote {name} VERSION`.")
        return index["current"]

    def path(self, name: str, version: str | None = None) -> Path:
        version = _check(version or self.current_version(name), "model version")  # index.json is a file too
        folder = self._task_dir(name) / version
        if not (folder / CARD_FILE).exists():
            raise RegistryError(f"Model {name!r} has no version {version!r}; it has "
                                f"{', '.join(self.versions(name)) or 'none'}.")
        return folder

    def card(self, name: str, version: str | None = None) -> ModelCard:
        return ModelCard.load(self.path(name, version))

    def current(self, name: str) -> ModelCard:
        return self.card(name)

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def staging(self, name: str) -> Iterator[Path]:
        """A scratch folder to build a model in; removed if the build fails."""
        check_name(name)
        folder = self.root / ".staging" / f"{name}-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def add(self, name: str, staged: Path, card: ModelCard, promote: bool = True, force: bool = False, *,
            actor: Identity | None = None) -> str:
        """Move a complete staged model in as the next version; optionally make it current.

        A version that loses to its baseline on dev is saved but not made current unless `force`
        (`promotion_blocker` says why); the caller reads `current_version` to know which happened.
        """
        check_name(name)
        task_dir = self.root / name
        task_dir.mkdir(exist_ok=True)
        existing = [int(v[1:]) for v in self.versions(name)] if (task_dir / "index.json").exists() else []
        number = max(existing, default=0) + 1
        while True:  # mkdir is atomic: two writers never get the same version
            version = f"v{number:04d}"
            try:
                (task_dir / version).mkdir()
                break
            except FileExistsError:
                number += 1
        card.version = version
        card.save(staged)
        (task_dir / version).rmdir()
        os.replace(staged, task_dir / version)
        index = self._index(name, missing_ok=True)
        self._write_index(name, index)
        if promote:
            reason = None if force else promotion_blocker(card)
            if reason is None:
                self.promote(name, version, force=True, actor=actor)
            else:
                log.warning("%s %s saved but not made current: %s", name, version, reason)
        return version

    def promotion_blocker(self, name: str, version: str) -> str | None:
        """Why VERSION may not become current (it loses to its baseline on dev), or None."""
        return promotion_blocker(self.card(name, version))

    def promote(self, name: str, version: str, force: bool = False, *, actor: Identity | None = None) -> None:
        """Make VERSION current; refused for a model below its baseline on dev unless `force`."""
        require(actor, "models.manage")
        self.path(name, version)  # validates
        reason = None if force else self.promotion_blocker(name, version)
        if reason is not None:
            raise PromotionRefused(f"Not promoting {name} {version}: {reason}. Improve the model (more epochs, "
                                   f"another method or base model), or promote anyway with "
                                   f"`verticals models promote {name} {version} --force`.")
        index = self._index(name)
        before = index.get("current")
        index["current"] = version
        index.setdefault("promotions", []).append(version)
        with self._audited(actor, "model.promote", name, {"current": before}, {"current": version}):
            self._write_index(name, index)

    def rollback(self, name: str, *, actor: Identity | None = None) -> str:
        """Make the previously promoted version current again."""
        require(actor, "models.manage")
        index = self._index(name)
        history = index.get("promotions", [])
        if len(history) < 2:
            raise RegistryError(f"Model {name!r} has no earlier promoted version to roll back to.")
        before = history.pop()
        index["current"] = history[-1]
        with self._audited(actor, "model.rollback", name, {"current": before}, {"current": history[-1]}):
            self._write_index(name, index)
        return history[-1]

    @contextmanager
    def _audited(self, actor: Identity | None, action: str, name: str, before: dict, after: dict) -> Iterator[None]:
        """The audit row's transaction wraps the index write: a failed write leaves no row. (A file and a
        database cannot share one transaction; the remaining window is a crash between the two.)"""
        from shared import audit
        from shared.db import open_database
        from shared.suite_db import CHAIN

        db = open_database(CHAIN, self.audit_url)
        try:
            with db.engine.begin() as conn:
                audit.record(conn, actor, action, name, before, after)
                yield
        finally:
            db.dispose()

    # -- internals -----------------------------------------------------------------------------
    def _task_dir(self, name: str) -> Path:
        folder = self.root / check_name(name)
        if not (folder / "index.json").exists():
            known = ", ".join(self.names()) or "none yet"
            raise RegistryError(f"No model named {name!r} in the registry at {self.root} (known: {known}). "
                                f"Train one with `verticals finetune --name {name} ...`.")
        return folder

    def _index(self, name: str, missing_ok: bool = False) -> dict:
        path = self.root / check_name(name) / "index.json"
        if not path.exists():
            if missing_ok:
                return {"current": None, "promotions": []}
            self._task_dir(name)
        return json.loads(path.read_text())

    def _write_index(self, name: str, index: dict) -> None:
        path = self.root / name / "index.json"
        tmp = path.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
        tmp.write_text(json.dumps(index, indent=2))
        os.replace(tmp, path)


def check_name(name: str) -> str:
    """A registry task name: the suite's one name rule (shared/names.py)."""
    return _check(name, "model")


def promotion_blocker(card: ModelCard) -> str | None:
    """A classifier whose dev accuracy is below its TF-IDF + logistic regression baseline's is held back."""
    if card.task != "classification":
        return None
    from shared.tasks.classification.baseline import loses_to_baseline

    return loses_to_baseline(card.metrics)
