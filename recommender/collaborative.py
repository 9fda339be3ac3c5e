"""Behaviour-only signals over a fixed item numbering (row i of the catalogue = column i here).

- `Popularity`: weighted interaction counts, overall and in the week before `now`; first/last-seen times.
- `Cooccurrence`: item-item cosine over the user×item matrix, pruned to each item's top neighbours.
- `ALS`: `implicit` alternating least squares; a user's factors are re-solved from any history, so a
  brand-new user with one or two events gets CF scores too.
Items that never occur in the fitting data score 0 everywhere (they are cold for CF by construction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shared.threads import one_thread

WEEK = 7 * 24 * 3600


def user_item_matrix(interactions: pd.DataFrame, item_pos: dict[str, int], n_items: int
                     ) -> tuple[sp.csr_matrix, list[str]]:
    """(users × items CSR of summed event weights, user ids in row order); unknown items are ignored."""
    cols = interactions["item_id"].map(item_pos)
    keep = cols.notna()
    users, rows = np.unique(interactions.loc[keep, "user_id"].to_numpy(dtype=str), return_inverse=True)
    mat = sp.csr_matrix((interactions.loc[keep, "weight"].to_numpy(dtype=np.float32),
                         (rows, cols[keep].to_numpy(dtype=np.int64))), shape=(len(users), n_items))
    mat.sum_duplicates()
    return mat, list(users)


def history_vector(positions: np.ndarray, weights: np.ndarray, n_items: int) -> sp.csr_matrix:
    vec = sp.csr_matrix((np.asarray(weights, dtype=np.float32),
                         (np.zeros(len(positions), dtype=np.int64), np.asarray(positions, dtype=np.int64))),
                        shape=(1, n_items))
    vec.sum_duplicates()
    return vec


class Popularity:
    def __init__(self, window_s: int = WEEK) -> None:
        self.window_s = window_s

    def fit(self, interactions: pd.DataFrame, item_pos: dict[str, int], n_items: int, now: int) -> Popularity:
        df = interactions[interactions["timestamp"] < now]
        pos = df["item_id"].map(item_pos)
        keep = pos.notna()
        p, w, t = pos[keep].to_numpy(dtype=np.int64), df.loc[keep, "weight"].to_numpy(), df.loc[keep, "timestamp"].to_numpy()
        self.count = np.bincount(p, weights=w, minlength=n_items).astype(np.float32)
        recent = t >= now - self.window_s
        self.recent = np.bincount(p[recent], weights=w[recent], minlength=n_items).astype(np.float32)
        self.first_seen = np.full(n_items, np.nan)
        self.last_seen = np.full(n_items, np.nan)
        if len(p):
            first = pd.Series(t).groupby(p).min()
            last = pd.Series(t).groupby(p).max()
            self.first_seen[first.index.to_numpy()] = first.to_numpy()
            self.last_seen[last.index.to_numpy()] = last.to_numpy()
        self.now = now
        return self

    def extend(self, n_items: int) -> None:
        """Grow to a larger catalogue: new items have no interactions yet."""
        extra = n_items - len(self.count)
        if extra > 0:
            self.count = np.concatenate([self.count, np.zeros(extra, np.float32)])
            self.recent = np.concatenate([self.recent, np.zeros(extra, np.float32)])
            self.first_seen = np.concatenate([self.first_seen, np.full(extra, np.nan)])
            self.last_seen = np.concatenate([self.last_seen, np.full(extra, np.nan)])

    def scores(self) -> np.ndarray:
        """log-scaled overall count plus the last week's count (so trends break ties)."""
        return np.log1p(self.count) + np.log1p(self.recent)


class Cooccurrence:
    def __init__(self, neighbours: int = 100) -> None:
        self.neighbours = neighbours

    def fit(self, matrix: sp.csr_matrix) -> Cooccurrence:
        binary = (matrix > 0).astype(np.float32).tocsc()
        co = (binary.T @ binary).tocsr()
        norms = np.sqrt(np.asarray(co.diagonal()).ravel())
        norms[norms == 0] = 1.0
        co.setdiag(0)
        co.eliminate_zeros()
        co = sp.diags(1 / norms) @ co @ sp.diags(1 / norms)
        self.sim = self._prune(co.tocsr(), self.neighbours)
        return self

    @staticmethod
    def _prune(mat: sp.csr_matrix, k: int) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for i in range(mat.shape[0]):
            start, end = mat.indptr[i], mat.indptr[i + 1]
            if end == start:
                continue
            data, idx = mat.data[start:end], mat.indices[start:end]
            top = np.argsort(-data)[:k]
            rows.append(np.full(len(top), i))
            cols.append(idx[top])
            vals.append(data[top])
        if not rows:
            return sp.csr_matrix(mat.shape, dtype=np.float32)
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=mat.shape, dtype=np.float32)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_sim_t"}  # a cache, rebuilt on demand

    def scores(self, positions: np.ndarray, weights: np.ndarray, n_items: int) -> np.ndarray:
        """Sum of neighbour similarities from the history items, divided by the history size."""
        out = np.zeros(n_items, np.float32)
        keep = positions < self.sim.shape[0]
        if keep.any():
            # one sparse vector × matrix product: far cheaper than slicing rows and summing them
            row = (history_vector(positions[keep], np.asarray(weights)[keep], self.sim.shape[0]) @ self.sim)
            out[: self.sim.shape[0]] = row.toarray().ravel() / int(keep.sum())
        return out

    def best_reason(self, positions: np.ndarray, item: int) -> tuple[int, float] | None:
        """The history item most similar to `item` (for 'because you watched …')."""
        if item >= self.sim.shape[0]:
            return None
        known = positions[positions < self.sim.shape[0]]
        if not len(known):
            return None
        # column `item` of the pruned (asymmetric) similarity, read as a row of its transpose: slicing
        # the CSR matrix by history rows cost ~0.5 ms per explained item
        sim_t = getattr(self, "_sim_t", None)
        if sim_t is None:
            sim_t = self._sim_t = self.sim.T.tocsr()
        start, end = sim_t.indptr[item], sim_t.indptr[item + 1]
        sims = np.zeros(self.sim.shape[0], np.float32)
        sims[sim_t.indices[start:end]] = sim_t.data[start:end]
        sims = sims[known]
        j = int(np.argmax(sims))
        return (int(known[j]), float(sims[j])) if sims[j] > 0 else None


class ALS:
    def __init__(self, factors: int = 64, regularization: float = 0.05, iterations: int = 15,
                 alpha: float = 2.0, seed: int = 7) -> None:
        self.params = {"factors": factors, "regularization": regularization, "iterations": iterations,
                       "alpha": alpha}
        self.seed = seed

    def fit(self, matrix: sp.csr_matrix) -> ALS:
        from implicit.cpu.als import AlternatingLeastSquares

        # implicit's own threads do the work; a multi-threaded BLAS underneath only oversubscribes 2 cores.
        # The shared limit, not a threadpool_limits of its own: a fit overlapping requests must not
        # restore a count a request set (see shared/threads.py).
        with one_thread(blas=True):
            model = AlternatingLeastSquares(**self.params, random_state=self.seed, num_threads=1)
            model.fit(matrix.astype(np.float32), show_progress=False)
        self.model = model
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        # items without any interaction keep their random init in implicit: zero them so they stay cold
        self.item_factors[np.asarray(matrix.sum(axis=0)).ravel() == 0] = 0.0
        self.yty = (self.item_factors.T @ self.item_factors).astype(np.float64)
        del self.model  # everything serving needs is in item_factors / yty
        return self

    def user_factors(self, positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """implicit's least-squares user step, solved here in numpy for one user.

        A = YᵀY + λI + Σ_i (c_i − 1) y_i y_iᵀ, b = Σ_i c_i y_i with c_i = alpha · weight_i. Going through
        implicit would need a threadpool_limits() call per request, and that alone costs ~30 ms.
        """
        n, f = self.item_factors.shape
        keep = positions < n
        if not keep.any():
            return np.zeros(f, np.float32)
        idx, inv = np.unique(positions[keep], return_inverse=True)
        conf = self.params["alpha"] * np.bincount(inv, weights=np.asarray(weights)[keep]).astype(np.float64)
        Y = self.item_factors[idx].astype(np.float64)
        A = self.yty + self.params["regularization"] * np.eye(f) + (Y.T * (conf - 1.0)) @ Y
        return np.linalg.solve(A, Y.T @ conf).astype(np.float32)

    def scores(self, positions: np.ndarray, weights: np.ndarray, n_items: int) -> np.ndarray:
        out = np.zeros(n_items, np.float32)
        row = self.item_factors @ self.user_factors(positions, weights)
        out[: len(row)] = row
        return out
