"""FAISS inner-product index over L2-normalised item vectors (so scores are cosines), keyed by row number.

`kind="flat"` is exact; `kind="hnsw"` is the approximate graph index used for big catalogues. Both map
FAISS ids to the caller's row numbers, so new items can be appended without rebuilding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.errors import RecConfigError, RecDataError


def _as_matrix(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or (dim is not None and arr.shape[1] != dim):
        raise RecDataError(f"Expected vectors of shape (n, {dim or 'd'}), got {arr.shape}.")
    if not np.isfinite(arr).all():
        raise RecDataError("Vectors contain NaN or infinite values.")
    return arr


class ItemIndex:
    """Top-k cosine search; ids returned are row numbers given at `add` (-1 padding removed)."""

    def __init__(self, dim: int, kind: str = "flat", hnsw_m: int = 32, ef_search: int = 128) -> None:
        import faiss

        if kind not in ("flat", "hnsw"):
            raise RecConfigError(f"index kind must be 'flat' or 'hnsw', got {kind!r}.")
        self.dim, self.kind = dim, kind
        if kind == "flat":
            base = faiss.IndexFlatIP(dim)
        else:
            base = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = 80
            base.hnsw.efSearch = ef_search
        self._index = faiss.IndexIDMap2(base)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vecs = _as_matrix(vectors, self.dim)
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(vecs):
            raise RecDataError(f"{len(vecs)} vectors but {len(ids)} ids.")
        self._index.add_with_ids(vecs, ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k'); k' = min(k, len(self)); ids are -1 where fewer were found."""
        q = _as_matrix(queries, self.dim)
        k = max(1, min(int(k), len(self)))
        scores, ids = self._index.search(q, k)
        return scores, ids

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> ItemIndex:
        import faiss

        obj = cls.__new__(cls)
        obj._index = faiss.read_index(str(path))
        obj.dim = obj._index.d
        obj.kind = "hnsw" if "HNSW" in type(faiss.downcast_index(obj._index.index)).__name__ else "flat"
        return obj


def exact_top_k(item_vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force oracle: the k highest inner products per query (ties broken by lower id)."""
    scores = _as_matrix(queries) @ _as_matrix(item_vectors).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), order


class LayeredIndex:
    """A big (possibly HNSW) index for the catalogue plus a small exact index for items added since.

    New items become searchable at once without rebuilding the graph, and can be removed again
    (HNSW cannot delete): that is what the new-item what-if needs.
    """

    def __init__(self, main: ItemIndex) -> None:
        self.main = main
        self.fresh = ItemIndex(main.dim, "flat")
        self._fresh_ids: set[int] = set()

    def __len__(self) -> int:
        return len(self.main) + len(self.fresh)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.fresh.add(vectors, ids)
        self._fresh_ids.update(int(i) for i in np.asarray(ids).ravel())

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        unknown = [int(i) for i in ids if int(i) not in self._fresh_ids]
        if unknown:
            raise RecDataError(f"Only items added after the index was built can be removed; not {unknown}.")
        self.fresh._index.remove_ids(ids)
        self._fresh_ids.difference_update(int(i) for i in ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores, ids = self.main.search(queries, k)
        if not len(self.fresh):
            return scores, ids
        # fresh items are always returned on top of the main k: a new item must reach the candidates
        # even when the big catalogue has k closer items, or it could never be shown at all
        fs, fi = self.fresh.search(queries, k)
        all_s, all_i = np.concatenate([scores, fs], axis=1), np.concatenate([ids, fi], axis=1)
        all_s = np.where(all_i < 0, -np.inf, all_s)
        order = np.argsort(-all_s, axis=1, kind="stable")
        return np.take_along_axis(all_s, order, axis=1), np.take_along_axis(all_i, order, axis=1)
