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
from collections.abc import Iterator
from contextlib import contextmanager

SMALL_BATCH = 4  # up to this many texts a call counts as "per message"


@contextmanager
def one_thread(n_texts: int = 1) -> Iterator[None]:
    """torch (and FAISS, if loaded) on one thread inside the block when `n_texts` is a per-message call."""
    import torch

    faiss = sys.modules.get("faiss")
    old = torch.get_num_threads()
    old_faiss = faiss.omp_get_max_threads() if faiss is not None else 1
    if n_texts > SMALL_BATCH or (old == 1 and old_faiss == 1):
        yield
        return
    torch.set_num_threads(1)
    if faiss is not None:
        faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)
        if faiss is not None:
            faiss.omp_set_num_threads(old_faiss)
