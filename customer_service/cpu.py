"""One intra-op thread for the per-message forward passes.

A single chat message is a dozen tokens: splitting its matrix products over two threads saves little on an
idle machine and costs a great deal on a busy one, where OpenMP threads wait for each other. Measured on
the 2-core machine at load average 6.6 (MiniLM, one FAQ question, n=100): two threads p50 87 ms / p95 790 ms,
one thread p50 27 ms / p95 34 ms. The same holds for FAISS's OpenMP loop over one query vector and for the
nearest-example product (torch, not numpy, whose BLAS threads cannot be limited per call here).
Batches (ingest, training) keep the process's thread count.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SMALL_BATCH = 4  # up to this many texts a call counts as "per message"

# The thread count is process-wide, and Streamlit answers each session in its own thread: the first
# per-message call to enter saves the counts and the last to leave restores them, so overlapping calls
# never restore a count another call set (a plain save/restore per call could leave the process on one
# thread for good). A batch that overlaps a per-message call runs on one thread for the overlap.
_lock = threading.Lock()
_active = 0
_saved: tuple[int, int | None] = (1, None)


@contextmanager
def one_thread(n_texts: int = 1) -> Iterator[None]:
    """torch (and FAISS, if loaded) on one thread inside the block when `n_texts` is a per-message call."""
    if n_texts > SMALL_BATCH:
        yield
        return
    _enter()
    try:
        yield
    finally:
        _leave()


def _enter() -> None:
    global _active, _saved
    import torch

    faiss = sys.modules.get("faiss")
    with _lock:
        if _active == 0:
            _saved = (torch.get_num_threads(), faiss.omp_get_max_threads() if faiss is not None else None)
            torch.set_num_threads(1)
            if faiss is not None:
                faiss.omp_set_num_threads(1)
        _active += 1


def _leave() -> None:
    global _active
    import torch

    faiss = sys.modules.get("faiss")
    with _lock:
        _active -= 1
        if _active == 0:
            torch.set_num_threads(_saved[0])
            if faiss is not None and _saved[1] is not None:
                faiss.omp_set_num_threads(_saved[1])
