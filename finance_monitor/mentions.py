"""Entities discovered by the NER model: normalise mentions, merge them with the watch list, store them per item.

The core's token classifier (`fin-ner`, trained by `monitor prepare`) finds ORG and PER mentions in every item's
title and body. A mention's entity key ignores case, punctuation, a possessive and legal suffixes ("Inc.",
"plc", ...), so "Tesco plc", "TESCO" and "Tesco's" are one entity; when the key equals a watch-list name's or
alias's key, the mention counts for that watch-list company. Rows are written per (item, model version) in one
transaction with the item's "done" mark, so a crash re-extracts, never skips; a newly promoted NER model
re-extracts history (`monitor rescore`) and replaces the older version's rows item by item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select

from finance_monitor.entities import WatchEntry
from finance_monitor.errors import ModelUnavailableError
from finance_monitor.store import MentionRow, ScoreRow, Store, insert_ignore

KIND = "ner"  # the ScoreRow kind that marks an item as extracted by a (model, version)
TYPES = ("ORG", "PER")
LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "plc", "llc", "llp", "lp",
    "ag", "sa", "nv", "se", "spa", "gmbh", "bv", "oyj", "asa", "ab", "pty", "sarl", "kgaa", "holdings",
})
SMALL_WORDS = frozenset({"of", "and", "the", "for", "de", "du", "von", "van", "&"})
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*|&", re.UNICODE)


def entity_key(name: str) -> str:
    """'The Tesco PLC’s' → 'tesco'; '' when nothing is left (a bare suffix or punctuation)."""
    text = re.sub(r"['’]s\b", "", name.strip())
    words = [w.lower().replace("’", "'") for w in _TOKEN.findall(text)]
    while words and words[-1] in LEGAL_SUFFIXES | {"&"}:
        words.pop()
    if words and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def display_name(surface: str) -> str:
    """A stable display form of a mention's key: capitalised words, short all-caps words (IMF, BT) kept unless
    the whole name is in capitals."""
    words = _TOKEN.findall(surface)
    shouting = surface.isupper() and len(words) > 1  # "BANK OF ENGLAND": the case says nothing about acronyms
    upper = set() if shouting else {w.lower() for w in words if w.isupper() and len(w) <= 4}
    out = []
    for i, w in enumerate(entity_key(surface).split()):
        if w in upper:
            out.append(w.upper())
        elif w in SMALL_WORDS and i > 0:
            out.append(w)
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


class AliasIndex:
    """Entity key → watch-list name, over every name and alias."""

    def __init__(self, watchlist: Sequence[WatchEntry] = ()) -> None:
        self._names: dict[str, str] = {}
        for w in watchlist:
            for alias in (w.name, *w.aliases):
                key = entity_key(alias)
                if key:
                    self._names.setdefault(key, w.name)

    def resolve(self, surface: str) -> tuple[str, bool] | None:
        """(entity, is it on the watch list), or None when the mention normalises to nothing."""
        key = entity_key(surface)
        if not key:
            return None
        if key in self._names:
            return self._names[key], True
        return display_name(surface), False


@dataclass(frozen=True)
class Mention:
    field: str     # title | body
    start: int     # offsets into that field
    end: int
    text: str
    type: str
    score: float


class NerModel(Protocol):
    """What `shared.api.load_model` returns for a token-classification model."""

    card: Any

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> list[list[Any]]: ...


class MentionExtractor:
    """The registry's NER model over titles and bodies; head-only models also hand back the sentence features
    of each title they read (`sentence_features`), so the classifiers need no second encoder pass."""

    kind = KIND

    def __init__(self, name: str, model: NerModel, version: str, types: Sequence[str] = TYPES,
                 body_chars: int = 2000, batch_size: int = 128) -> None:
        self.model_obj, self.model, self.version = model, name, str(version)
        self.types, self.body_chars, self.batch_size = tuple(types), body_chars, batch_size

    @property
    def feature_key(self) -> tuple | None:
        return getattr(self.model_obj, "sentence_feature_key", None)

    def extract(self, titles: Sequence[str], bodies: Sequence[str]) -> tuple[list[list[Mention]], list[Any]]:
        """Mentions per item, and per item the title's sentence features (or None)."""
        pooled: list[Any] = [None] * len(titles)
        if self.feature_key is not None:
            found_t, pooled = self.model_obj.predict_with_features(list(titles), self.batch_size)  # type: ignore[attr-defined]
        else:
            found_t = self.model_obj.predict(list(titles), self.batch_size)
        body_idx = [i for i, b in enumerate(bodies) if b and b.strip()]
        found_b = self.model_obj.predict([bodies[i][: self.body_chars] for i in body_idx], self.batch_size) \
            if body_idx else []
        per_body = dict(zip(body_idx, found_b))
        out = []
        for i in range(len(titles)):
            mentions = [Mention("title", e.start, e.end, e.text, e.type, e.score) for e in found_t[i]
                        if e.type in self.types]
            mentions += [Mention("body", e.start, e.end, e.text, e.type, e.score) for e in per_body.get(i, [])
                         if e.type in self.types]
            out.append(mentions)
        return out, pooled


def load_extractor(name: str, batch_size: int = 128) -> MentionExtractor:
    from shared.api import load_model
    from shared.errors import ModelNotFoundError, RegistryError

    try:
        model = load_model(name)
    except (RegistryError, ModelNotFoundError) as exc:
        raise ModelUnavailableError(f"NER model {name!r} is not registered yet: run `verticals monitor prepare` "
                                    f"to fine-tune it ({exc})") from exc
    if model.card.task != "token-classification":
        raise ModelUnavailableError(f"model {name!r} is a {model.card.task} model; the monitor's NER needs a "
                                    "token-classification model (`verticals finetune --task token-classification`).")
    return MentionExtractor(name, model, model.card.version, batch_size=batch_size)


def extract_pending(store: Store, extractor: MentionExtractor, aliases: AliasIndex, now: datetime,
                    limit: int = 5000, cache: Any = None) -> int:
    """Find the mentions of items this NER (model, version) has not read yet; returns how many items it read.
    With a `cache` (a `FeatureCache`), the titles' sentence features are left there for the classifiers."""
    from finance_monitor.scoring import item_text, pending_items

    rows = pending_items(store, KIND, extractor.model, extractor.version, limit)
    if not rows:
        return 0
    mentions, pooled = extractor.extract([r.title for r in rows], [r.body for r in rows])
    if cache is not None and extractor.feature_key is not None:
        # a title's features are the classifiers' features only when the item's text is the title alone
        ids = [r.id for r, p in zip(rows, pooled) if p is not None and item_text(r.title, r.body) == r.title]
        cache.put(extractor.feature_key, ids, [p for r, p in zip(rows, pooled)
                                               if p is not None and item_text(r.title, r.body) == r.title])
    records, marks = [], []
    for r, found in zip(rows, mentions):
        for m in found:
            resolved = aliases.resolve(m.text)
            if resolved is None:
                continue
            entity, watched = resolved
            records.append({"item_id": r.id, "field": m.field, "start": m.start, "end": m.end,
                            "text": m.text[:300], "type": m.type, "entity": entity[:200], "watched": watched,
                            "score": float(m.score), "model": extractor.model, "model_version": extractor.version,
                            "extracted_at": now})
        marks.append({"item_id": r.id, "kind": KIND, "model": extractor.model, "model_version": extractor.version,
                      "label": None, "value": float(len(found)), "confidence": 1.0, "probs": {}, "scored_at": now})
    ids = [r.id for r in rows]
    with store.session() as s:  # replace older versions' rows, write the new ones and the marks together
        s.execute(delete(MentionRow).where(MentionRow.item_id.in_(ids), MentionRow.model == extractor.model,
                                           MentionRow.model_version != extractor.version))
        if records:
            s.execute(insert_ignore(store, MentionRow.__table__), records)
        s.execute(insert_ignore(store, ScoreRow.__table__), marks)
    return len(rows)


def reresolve(store: Store, aliases: AliasIndex) -> int:
    """After a watch-list change: map every stored mention to its entity again (no model run needed)."""
    changed = 0
    with store.session() as s:
        for row in s.scalars(select(MentionRow)):
            resolved = aliases.resolve(row.text)
            if resolved is not None and (row.entity, row.watched) != resolved:
                row.entity, row.watched = resolved
                changed += 1
    return changed


def item_mentions(store: Store, item_ids: Sequence[int]) -> dict[int, list[Mention]]:
    """The stored mentions of some items (for highlighting), by item id, in text order."""
    out: dict[int, list[Mention]] = {int(i): [] for i in item_ids}
    if not out:
        return out
    with store.session() as s:
        rows = s.execute(select(MentionRow).where(MentionRow.item_id.in_(list(out)))
                         .order_by(MentionRow.item_id, MentionRow.field.desc(), MentionRow.start)).scalars().all()
    for r in rows:
        out[r.item_id].append(Mention(r.field, r.start, r.end, r.text, r.type, r.score))
    return out
