"""Hybrid passage index: dense (FAISS inner product over unit vectors) + lexical (bm25s), fused by
weighted reciprocal rank fusion
(score = 1/(k + dense rank) + w/(k + lexical rank)). On the construction FAQ the lexical side mostly
adds noise at equal weight, so the default weight is low; see bench/customer_service.py.

With an index encoder (customer_service/projection.py) every passage also has a vector from that
larger encoder, in a second FAISS index; the dense ranking is then by cos(q, p) + w * cos(q', p'), q' being
the query projected into the index encoder's space, over the union of both indexes' top candidates.

Ids are the store's chunk ids, so the index can always be rebuilt from the store and stays in step
with it. Dense add/remove is incremental (`IndexIDMap`); the BM25 side is re-indexed lazily on the next
search after a change, which costs milliseconds for knowledge bases of thousands of chunks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from shared.threads import one_thread

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import


@dataclass(frozen=True)
class Hit:
    id: int
    score: float      # fused RRF score (rank-based; use `dense` as the confidence)
    dense: float      # cosine similarity of query and passage (serving encoder: what thresholds compare)
    lexical: float    # BM25 score (0 when no query term occurs)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # PyStemmer: Snowball stemmers in C

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """English stopwords out, Snowball stems: "permits"/"permit", "building"/"build" match. On the FAQ
    (answers only, queried by the questions) stemming lifts BM25's MRR from 0.447 to 0.493."""
    import bm25s

    return bm25s.tokenize(texts, return_ids=False, show_progress=False, stopwords="en", stemmer=_stemmer())


class HybridIndex:
    def __init__(self, dim: int, rrf_k: int = 10, candidates: int = 30, lexical_weight: float = 0.2,
                 index_dim: int | None = None, projection_weight: float = 1.0) -> None:
        import faiss

        self.dim = dim
        self.index_dim = index_dim
        self.projection_weight = projection_weight
        self._index_faiss = faiss.IndexIDMap(faiss.IndexFlatIP(index_dim)) if index_dim else None
        self._index_vectors: dict[int, np.ndarray] = {}
        self.rrf_k = rrf_k
        self.lexical_weight = lexical_weight
        self.candidates = candidates
        self._faiss = faiss.IndexIDMap(faiss.IndexFlatIP(dim))
        self._texts: dict[int, str] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self._bm25 = None
        self._bm25_ids: np.ndarray = np.zeros(0, dtype=np.int64)
        self._dirty = True

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def ids(self) -> list[int]:
        return sorted(self._texts)

    def vector(self, chunk_id: int) -> np.ndarray:
        return self._vectors[chunk_id]

    def add(self, ids: list[int], texts: list[str], vectors: np.ndarray, index_vectors: np.ndarray | None = None) -> None:
        """Add (or replace) passages. Vectors must be unit-norm rows of width `dim` (`index_vectors`: of
        width `index_dim`, required exactly when the index has an index encoder)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not (len(ids) == len(texts) == len(vectors)):
            raise ValueError(f"ids, texts and vectors differ in length: {len(ids)}, {len(texts)}, {len(vectors)}")
        if (index_vectors is None) != (self._index_faiss is None):
            raise ValueError("index_vectors must be given exactly when the index was built with index_dim")
        if index_vectors is not None:
            index_vectors = np.ascontiguousarray(index_vectors, dtype=np.float32).reshape(-1, self.index_dim)
            if len(index_vectors) != len(ids):
                raise ValueError(f"{len(ids)} ids but {len(index_vectors)} index vectors")
        if not ids:
            return
        replaced = [i for i in ids if i in self._texts]
        if replaced:
            self.remove(replaced)
        self._faiss.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
        if index_vectors is not None:
            self._index_faiss.add_with_ids(index_vectors, np.asarray(ids, dtype=np.int64))
            self._index_vectors.update({int(i): v for i, v in zip(ids, index_vectors)})
        for i, t, v in zip(ids, texts, vectors):
            self._texts[int(i)] = t
            self._vectors[int(i)] = v
        self._dirty = True

    def remove(self, ids: list[int]) -> None:
        present = [int(i) for i in ids if int(i) in self._texts]
        if not present:
            return
        self._faiss.remove_ids(np.asarray(present, dtype=np.int64))
        if self._index_faiss is not None:
            self._index_faiss.remove_ids(np.asarray(present, dtype=np.int64))
        for i in present:
            del self._texts[i]
            del self._vectors[i]
            self._index_vectors.pop(i, None)
        self._dirty = True

    def dense_search(self, query_vec: np.ndarray, k: int, projected_vec: np.ndarray | None = None
                     ) -> list[tuple[int, float]]:
        """Top-k (id, score): the cosine, or with `projected_vec` (and an index encoder) the combined score."""
        if not self._texts:
            return []
        q = np.asarray(query_vec, dtype=np.float32).reshape(1, -1)
        with one_thread(1):
            scores, ids = self._faiss.search(q, min(k, len(self)))
            if projected_vec is None or self._index_faiss is None:
                return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]
            p = np.asarray(projected_vec, dtype=np.float32).reshape(1, -1)
            _, more = self._index_faiss.search(p, min(k, len(self)))
        pool = {int(i) for i in np.concatenate([ids[0], more[0]]) if i != -1}
        combined = {i: float(self._vectors[i] @ q[0] + self.projection_weight * (self._index_vectors[i] @ p[0]))
                    for i in pool}
        return sorted(combined.items(), key=lambda item: (-item[1], item[0]))[:k]

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        if not self._texts:
            return []
        self._refresh_bm25()
        tokens = [t for t in tokenize([query])[0] if t in self._bm25.vocab_dict]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self._bm25_ids[j]), float(scores[j])) for j in top if scores[j] > 0]

    def search(self, query: str, query_vec: np.ndarray, k: int = 5, mode: str = "hybrid",
               projected_vec: np.ndarray | None = None) -> list[Hit]:
        """Top-k passages. mode: hybrid | dense | lexical. `projected_vec`: the query in the index encoder's space."""
        dense = self.dense_search(query_vec, self.candidates, projected_vec) if mode != "lexical" else []
        lexical = self.lexical_search(query, self.candidates) if mode != "dense" else []
        fused: dict[int, float] = {}
        for ranking, weight in ((dense, 1.0), (lexical, self.lexical_weight if mode == "hybrid" else 1.0)):
            for rank, (i, _) in enumerate(ranking):
                fused[i] = fused.get(i, 0.0) + weight / (self.rrf_k + rank + 1)
        lex_of = dict(lexical)
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
        order = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        return [Hit(id=i, score=fused[i], dense=float(self._vectors[i] @ q), lexical=lex_of.get(i, 0.0))
                for i in order]

    def _refresh_bm25(self) -> None:
        if not self._dirty:
            return
        import bm25s

        self._bm25_ids = np.asarray(sorted(self._texts), dtype=np.int64)
        corpus = tokenize([self._texts[int(i)] for i in self._bm25_ids])
        # bm25s refuses an empty vocabulary; a placeholder token keeps stopword-only corpora searchable.
        corpus = [toks or ["__empty__"] for toks in corpus]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        self._dirty = False
