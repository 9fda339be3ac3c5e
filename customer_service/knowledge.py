"""A workspace's knowledge base: documents in the store, passages in the hybrid index, kept in step.

Order of every change: parse and encode first (may fail: nothing written), then one store transaction,
then the in-memory index. The index is rebuilt from the store's cached embeddings on open, so a crash
between the last two steps heals on restart.

With an index encoder (settings.index_encoder, e.g. mpnet) each chunk is also embedded by it, cached in the
store like the serving encoder's vectors, and queries reach that space through a fitted projection
(customer_service/projection.py): the larger encoder's quality at the serving encoder's query cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from customer_service.index import Hit, HybridIndex
from customer_service.ingest import ParsedDocument, faq_document, parse_file
from customer_service.projection import MIN_FIT_TEXTS, QueryProjection, fit_projection, sentences
from customer_service.settings import RetrievalSettings
from customer_service.store import Store, blob_to_vec
from shared.auth import Identity, require
from shared.encoders import Encoder
from shared.names import check_name

Progress = Callable[[float, str], None]
CHUNK_CACHE_SIZE = 4096  # chunks kept in memory per knowledge base (text and metadata; not the vectors)


@dataclass
class IngestReport:
    name: str
    status: str            # added | updated | unchanged
    n_chunks: int
    n_encoded: int         # chunks that needed a new embedding
    n_removed: int = 0


@dataclass
class Passage:
    chunk_id: int
    number: int            # citation number, 1-based
    text: str
    document: str
    position: int
    dense: float
    lexical: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How the citation is shown: FAQ question or document name with its chunk position."""
        if self.meta.get("question"):
            refs = "; ".join(self.meta.get("sources") or [])
            return f"{self.document}: \"{self.meta['question']}\"" + (f" ({refs})" if refs else "")
        return f"{self.document} §{self.position + 1}"


class KnowledgeBase:
    def __init__(self, store: Store, workspace_id: int, encoder: Encoder, settings: RetrievalSettings,
                 index_encoder: Encoder | None = None) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.encoder = encoder
        self.index_encoder = index_encoder
        self.settings = settings
        self.projection: QueryProjection | None = None
        self.index = self._empty_index()
        # Chunks read by search, by id: a hot FAQ is not re-read from the database for every customer.
        # Emptied whenever this knowledge base changes (ingest, delete, or another process's change).
        self._chunk_cache: dict[int, Any] = {}
        self._load()

    def _empty_index(self) -> HybridIndex:
        return HybridIndex(self.encoder.dim, rrf_k=self.settings.rrf_k, candidates=self.settings.candidates,
                           lexical_weight=self.settings.lexical_weight,
                           index_dim=self.index_encoder.dim if self.index_encoder else None,
                           projection_weight=self.settings.projection_weight)

    def _load(self, progress: Progress | None = None, refit: bool = False) -> None:
        self._version = self.store.kb_version(self.workspace_id)
        self._chunk_cache = {}
        rows = self.store.chunks(self.workspace_id)
        stale = [c for c in rows if c.encoder != self.encoder.name or len(c.embedding) != 4 * self.encoder.dim]
        if stale:  # encoder changed (e.g. a fine-tuned one was promoted): re-encode, then cache
            fresh: dict[int, np.ndarray] = {}
            for start in range(0, len(stale), 256):
                batch = stale[start:start + 256]
                vecs = self.encoder.encode([c.text for c in batch])
                fresh.update({c.id: v for c, v in zip(batch, vecs)})
                if progress:
                    progress(min(1.0, (start + len(batch)) / len(stale)), f"re-encoded {start + len(batch)}/{len(stale)}")
            self.store.set_embeddings(fresh, self.encoder.name)
            rows = self.store.chunks(self.workspace_id)
        index_vectors = self._index_vectors(rows, progress) if self.index_encoder else None
        if self.index_encoder:
            self.projection = self._projection(rows, index_vectors, refit)
        self.index = self._empty_index()
        if rows:
            self.index.add([c.id for c in rows], [c.text for c in rows],
                           np.stack([blob_to_vec(c.embedding) for c in rows]),
                           np.stack([index_vectors[c.id] for c in rows]) if index_vectors is not None else None)

    def _index_vectors(self, rows: list, progress: Progress | None) -> dict[int, np.ndarray]:
        """Every chunk's index-encoder vector: cached ones from the store, missing ones encoded and cached."""
        enc = self.index_encoder
        have = self.store.index_vectors(self.workspace_id, enc.name)
        missing = [c for c in rows if c.id not in have or len(have[c.id]) != enc.dim]
        fresh: dict[int, np.ndarray] = {}
        for start in range(0, len(missing), 64):
            batch = missing[start:start + 64]
            fresh.update(zip([c.id for c in batch], enc.encode([c.text for c in batch])))
            if progress:
                progress(min(1.0, (start + len(batch)) / len(missing)),
                         f"index encoder {enc.name}: {start + len(batch)}/{len(missing)} chunks")
        if fresh:
            self.store.set_index_vectors(fresh, enc.name)
        return {**have, **fresh}

    def _projection(self, rows: list, index_vectors: dict[int, np.ndarray], refit: bool) -> QueryProjection | None:
        """The stored projection if it maps this encoder pair, else one fitted now on the chunks, their
        sentences and their FAQ questions (None while the knowledge base is too small to fit one)."""
        current = self.store.projection(self.workspace_id)
        if current is not None and current.fits(self.encoder.name, self.index_encoder.name) and not refit:
            return current
        texts = sentences([c.text for c in rows]) + [c.meta["question"] for c in rows if (c.meta or {}).get("question")]
        if len(rows) + len(texts) < MIN_FIT_TEXTS:
            return None
        source = np.vstack([np.stack([blob_to_vec(c.embedding) for c in rows])] +
                           ([self.encoder.encode(texts)] if texts else []))
        target = np.vstack([np.stack([index_vectors[c.id] for c in rows])] +
                           ([self.index_encoder.encode(texts)] if texts else []))
        projection = fit_projection(source, target, source=self.encoder.name, target=self.index_encoder.name)
        self.store.set_projection(self.workspace_id, projection)
        return projection

    def reindex(self, progress: Progress | None = None, *, actor: Identity | None = None) -> int:
        """Rebuild the index from the store (re-encoding chunks whose encoder differs; refitting the projection)."""
        require(actor, "bot.supervise")
        self._load(progress, refit=True)
        if progress:
            progress(1.0, f"indexed {len(self.index)} passages")
        return len(self.index)

    # ---- ingest ----------------------------------------------------------------------------------------
    def ingest_bytes(self, name: str, data: bytes, now: datetime | None = None,
                     progress: Progress | None = None, *, actor: Identity | None = None) -> IngestReport:
        require(actor, "bot.supervise")  # before parsing: a refused upload costs nothing
        parsed = parse_file(name, data, chunk_chars=self.settings.chunk_chars,
                            chunk_overlap=self.settings.chunk_overlap)
        return self.ingest_parsed(parsed, now=now, progress=progress, actor=actor)

    def ingest_faq(self, name: str, faq: pd.DataFrame, now: datetime | None = None,
                   progress: Progress | None = None, *, actor: Identity | None = None) -> IngestReport:
        require(actor, "bot.supervise")
        return self.ingest_parsed(faq_document(name, faq), now=now, progress=progress, actor=actor)

    def ingest_parsed(self, parsed: ParsedDocument, now: datetime | None = None,
                      progress: Progress | None = None, *, actor: Identity | None = None) -> IngestReport:
        require(actor, "bot.supervise")
        check_name(parsed.name, "document")  # stored as a key, shown in citations, used in exports
        existing = self.store.find_document(self.workspace_id, parsed.name)
        if existing is not None and existing.content_hash == parsed.content_hash:
            return IngestReport(parsed.name, "unchanged", len(parsed.chunks), 0)
        old_rows = self.store.chunks(self.workspace_id, existing.id) if existing else []
        old_by_hash = {c.content_hash: c for c in old_rows if c.encoder == self.encoder.name}
        reuse = {h: c.id for h, c in old_by_hash.items() if h in {ch.content_hash for ch in parsed.chunks}}
        todo = [i for i, ch in enumerate(parsed.chunks) if ch.content_hash not in reuse]
        vectors = np.zeros((len(parsed.chunks), self.encoder.dim), dtype=np.float32)
        by_text: dict[str, np.ndarray] = {}  # index-encoder vectors of the new chunks' texts
        for start in range(0, len(todo), 128):
            batch = todo[start:start + 128]
            vectors[batch] = self.encoder.encode([parsed.chunks[i].text for i in batch])
            if self.index_encoder:
                texts = [parsed.chunks[i].text for i in batch]
                by_text.update(zip(texts, self.index_encoder.encode(texts)))
            if progress:
                progress(0.9 * (start + len(batch)) / max(1, len(todo)),
                         f"encoded {start + len(batch)}/{len(todo)} chunks of {parsed.name}")
        self.refresh()  # catch up with other processes first, so our own change is the only one pending
        _doc, added, removed = self.store.upsert_document(self.workspace_id, parsed, vectors, self.encoder.name,
                                                         reuse, now=now, actor=actor)
        self._version += 1
        self._chunk_cache = {}
        self.index.remove(removed)
        if added:
            rows = self.store.chunks_by_id(added)
            index_vectors = None
            if self.index_encoder:
                # A repeated text can get a new row without being in `todo`: encode what is still missing.
                new_texts = sorted({rows[i].text for i in added} - by_text.keys())
                if new_texts:
                    by_text.update(zip(new_texts, self.index_encoder.encode(new_texts)))
                self.store.set_index_vectors({i: by_text[rows[i].text] for i in added}, self.index_encoder.name)
                index_vectors = np.stack([by_text[rows[i].text] for i in added])
            self.index.add(added, [rows[i].text for i in added],
                           np.stack([blob_to_vec(rows[i].embedding) for i in added]), index_vectors)
        if self.index_encoder and self.projection is None:  # the first documents: fit the projection now
            self._load(progress, refit=True)
        if progress:
            progress(1.0, f"{parsed.name}: {len(parsed.chunks)} chunks")
        return IngestReport(parsed.name, "updated" if existing else "added", len(parsed.chunks), len(todo), len(removed))

    def delete(self, name_or_id: str | int, *, actor: Identity | None = None) -> int:
        require(actor, "bot.supervise")
        self.refresh()
        removed = self.store.delete_document(self.workspace_id, name_or_id, actor=actor)
        self._version += 1
        self._chunk_cache = {}
        self.index.remove(removed)
        return len(removed)

    def refresh(self) -> bool:
        """Reload from the store if another process changed this knowledge base; True if it did."""
        if self.store.kb_version(self.workspace_id) != self._version:
            self._load()
            return True
        return False

    # ---- search ----------------------------------------------------------------------------------------
    def _chunks(self, ids: list[int]) -> dict[int, Any]:
        missing = [i for i in ids if i not in self._chunk_cache]
        if missing:
            if len(self._chunk_cache) > CHUNK_CACHE_SIZE:
                self._chunk_cache = {}
            self._chunk_cache.update(self.store.chunks_by_id(missing))
        return {i: self._chunk_cache[i] for i in ids if i in self._chunk_cache}

    def search(self, query: str, k: int | None = None, query_vec: np.ndarray | None = None,
               mode: str = "hybrid") -> list[Passage]:
        k = k or self.settings.top_k
        self.refresh()
        if query_vec is None:
            query_vec = self.encoder.encode([query])[0]
        projected = self.projection.project(query_vec)[0] if self.projection is not None else None
        hits: list[Hit] = self.index.search(query, query_vec, k=k, mode=mode, projected_vec=projected)
        rows = self._chunks([h.id for h in hits])
        return [Passage(chunk_id=h.id, number=n, text=rows[h.id].text, document=rows[h.id].meta.get("document", ""),
                        position=rows[h.id].position, dense=h.dense, lexical=h.lexical, meta=rows[h.id].meta)
                for n, h in enumerate(hits, start=1) if h.id in rows]
