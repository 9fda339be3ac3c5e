"""One intra-op thread for per-request forward passes, without process-global races.

A single request is tiny (one chat message, one user's history): splitting its matrix products over two
threads saves little on an idle machine and costs a great deal on a busy one, where OpenMP threads wait
for each other. Measured on the 2-core machine at load average 6.6 (MiniLM, one FAQ question, n=100): two
threads p50 87 ms / p95 790 ms, one thread p50 27 ms / p95 34 ms; a multi-threaded BLAS spinning on one
user's matrices tripled the recommender's latency. Batches (ingest, training) keep the process's counts.

The counts are process-wide (torch's intra-op pool, FAISS's OpenMP, the BLAS libraries threadpoolctl
finds), while Streamlit and the HTTP server answer each request on a thread of its own. So each limit is
shared and counted: the first caller to enter saves the process's count and sets one thread, the last to
leave restores it. A plain save/restore per call would, for overlapping calls A-in, B-in, A-out, B-out,
let B restore the "1" it saw on entering and leave the process on one thread for good.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SMALL_BATCH = 4  # up to this many items a call counts as "one request"

Restore = Callable[[], None]


class SharedLimit:
    """A process-wide setting held at one thread while at least one caller is inside.

    `limit()` sets one thread and returns the function that restores what was there before.
    """

    def __init__(self, limit: Callable[[], Restore]) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._active = 0
        self._restore: Restore | None = None

    @property
    def active(self) -> int:
        return self._active

    def enter(self) -> None:
        with self._lock:
            if self._active == 0:
                self._restore = self._limit()
            self._active += 1

    def leave(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._restore is not None:
                restore, self._restore = self._restore, None
                restore()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()


def _limit_torch_and_faiss() -> Restore:
    import torch

    faiss = sys.modules.get("faiss")  # only if something loaded it: importing it here costs a second
    saved_torch = torch.get_num_threads()
    saved_faiss = faiss.omp_get_max_threads() if faiss is not None else None
    torch.set_num_threads(1)
    if faiss is not None:
        faiss.omp_set_num_threads(1)

    def restore() -> None:
        torch.set_num_threads(saved_torch)
        if faiss is not None and saved_faiss is not None:
            faiss.omp_set_num_threads(saved_faiss)

    return restore


_blas_controller: Any = None
_blas_controller_lock = threading.Lock()


def _limit_blas() -> Restore:
    # The library scan behind a ThreadpoolController costs ~30 ms: done once per process, not per request.
    global _blas_controller
    with _blas_controller_lock:
        if _blas_controller is None:
            from threadpoolctl import ThreadpoolController

            _blas_controller = ThreadpoolController()
    limiter = _blas_controller.limit(limits=1, user_api="blas")
    return limiter.restore_original_limits  # type: ignore[no-any-return]


TORCH = SharedLimit(_limit_torch_and_faiss)
BLAS = SharedLimit(_limit_blas)


@contextmanager
def one_thread(n_items: int = 1, *, blas: bool = False) -> Iterator[None]:
    """torch (and FAISS, if loaded) on one thread inside the block when `n_items` is one request's worth
    (at most SMALL_BATCH); with `blas`, numpy's BLAS too (its numpy-side work is per call, so only the
    callers whose numpy matrices are small and hot ask for it). Larger batches keep the process's counts."""
    if n_items > SMALL_BATCH:
        yield
        return
    TORCH.enter()
    try:
        if blas:
            BLAS.enter()
        try:
            yield
        finally:
            if blas:
                BLAS.leave()
    finally:
        TORCH.leave()
