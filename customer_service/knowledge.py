"""A workspace's knowledge base: documents in the store, passages in the hybrid index, kept in step.

Order of every change: parse and encode first (may fail: nothing written), then one store transaction,
then the in-memory index. The index is rebuilt from the store's cached embeddings on open, so a crash
between the last two steps heals on restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from customer_service.encoder import Encoder
from customer_service.index import Hit, HybridIndex
from customer_service.ingest import ParsedDocument, faq_document, parse_file
from customer_service.settings import RetrievalSettings
from customer_service.store import Store, blob_to_vec

Progress = Callable[[float, str], None]


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
    def __init__(self, store: Store, workspace_id: int, encoder: Encoder, settings: RetrievalSettings) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.encoder = encoder
        self.settings = settings
        self.index = HybridIndex(encoder.dim, rrf_k=settings.rrf_k, candidates=settings.candidates,
                                 lexical_weight=settings.lexical_weight)
        self._load()

    def _load(self, progress: Progress | None = None) -> None:
        self._version = self.store.kb_version(self.workspace_id)
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
        self.index = HybridIndex(self.encoder.dim, rrf_k=self.settings.rrf_k, candidates=self.settings.candidates,
                                 lexical_weight=self.settings.lexical_weight)
        if rows:
            self.index.add([c.id for c in rows], [c.text for c in rows],
                           np.stack([blob_to_vec(c.embedding) for c in rows]))

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the index from the store (re-encoding chunks whose encoder differs)."""
        self._load(progress)
        if progress:
            progress(1.0, f"indexed {len(self.index)} passages")
        return len(self.index)

    # ---- ingest ----------------------------------------------------------------------------------------
    def ingest_bytes(self, name: str, data: bytes, now: datetime | None = None,
                     progress: Progress | None = None) -> IngestReport:
        parsed = parse_file(name, data, chunk_chars=self.settings.chunk_chars,
                            chunk_overlap=self.settings.chunk_overlap)
        return self.ingest_parsed(parsed, now=now, progress=progress)

    def ingest_faq(self, name: str, faq: pd.DataFrame, now: datetime | None = None,
                   progress: Progress | None = None) -> IngestReport:
        return self.ingest_parsed(faq_document(name, faq), now=now, progress=progress)

    def ingest_parsed(self, parsed: ParsedDocument, now: datetime | None = None,
                      progress: Progress | None = None) -> IngestReport:
        existing = self.store.find_document(self.workspace_id, parsed.name)
        if existing is not None and existing.content_hash == parsed.content_hash:
            return IngestReport(parsed.name, "unchanged", len(parsed.chunks), 0)
        old_rows = self.store.chunks(self.workspace_id, existing.id) if existing else []
        old_by_hash = {c.content_hash: c for c in old_rows if c.encoder == self.encoder.name}
        reuse = {h: c.id for h, c in old_by_hash.items() if h in {ch.content_hash for ch in parsed.chunks}}
        todo = [i for i, ch in enumerate(parsed.chunks) if ch.content_hash not in reuse]
        vectors = np.zeros((len(parsed.chunks), self.encoder.dim), dtype=np.float32)
        for start in range(0, len(todo), 128):
            batch = todo[start:start + 128]
            vectors[batch] = self.encoder.encode([parsed.chunks[i].text for i in batch])
            if progress:
                progress(0.9 * (start + len(batch)) / max(1, len(todo)),
                         f"encoded {start + len(batch)}/{len(todo)} chunks of {parsed.name}")
        self.refresh()  # catch up with other processes first, so our own change is the only one pending
        _doc, added, removed = self.store.upsert_document(self.workspace_id, parsed, vectors, self.encoder.name,
                                                         reuse, now=now)
        self._version += 1
        self.index.remove(removed)
        if added:
            rows = self.store.chunks_by_id(added)
            self.index.add(added, [rows[i].text for i in added], np.stack([blob_to_vec(rows[i].embedding) for i in added]))
        if progress:
            progress(1.0, f"{parsed.name}: {len(parsed.chunks)} chunks")
        return IngestReport(parsed.name, "updated" if existing else "added", len(parsed.chunks), len(todo), len(removed))

    def delete(self, name_or_id: str | int) -> int:
        self.refresh()
        removed = self.store.delete_document(self.workspace_id, name_or_id)
        self._version += 1
        self.index.remove(removed)
        return len(removed)

    def refresh(self) -> bool:
        """Reload from the store if another process changed this knowledge base; True if it did."""
        if self.store.kb_version(self.workspace_id) != self._version:
            self._load()
            return True
        return False

    # ---- search ----------------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, query_vec: np.ndarray | None = None,
               mode: str = "hybrid") -> list[Passage]:
        k = k or self.settings.top_k
        self.refresh()
        if query_vec is None:
            query_vec = self.encoder.encode([query])[0]
        hits: list[Hit] = self.index.search(query, query_vec, k=k, mode=mode)
        rows = self.store.chunks_by_id([h.id for h in hits])
        return [Passage(chunk_id=h.id, number=n, text=rows[h.id].text, document=rows[h.id].meta.get("document", ""),
                        position=rows[h.id].position, dense=h.dense, lexical=h.lexical, meta=rows[h.id].meta)
                for n, h in enumerate(hits, start=1) if h.id in rows]
