"""The per-request thread limit (`shared.threads.one_thread`) against the limiters it replaced.

Per request, the bot used to enter a counted torch/FAISS limit of its own (`customer_service/cpu.py`,
same logic as now) and the recommender a fresh `ThreadpoolController.limit(1, "blas")` with a plain
restore. The shared limit does both with counts (first in saves, last out restores); this measures what
that costs per request, uncontended and with 4 overlapping request threads, and checks the counts come
back. Baseline and ours run in the same process, interleaved in rounds.

    python bench/threads.py [--calls 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
from threadpoolctl import ThreadpoolController

from shared.threads import one_thread

CONTROLLER = ThreadpoolController()  # the recommender kept one controller per service: scanned once


def old_limit() -> None:
    """Before: torch to one thread with a save/restore, then threadpoolctl's limiter and its restore."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    limiter = CONTROLLER.limit(limits=1, user_api="blas")
    try:
        pass
    finally:
        limiter.restore_original_limits()
        torch.set_num_threads(saved)


def new_limit() -> None:
    with one_thread(1, blas=True):
        pass


def per_call_us(fn, calls: int, threads: int) -> float:
    """Mean wall microseconds per call, `threads` request threads each making calls / threads of them."""
    per = calls // threads
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(per):
            fn()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return (time.perf_counter() - start) / (per * threads) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded before the first scan
    torch.set_num_threads(2)
    before = torch.get_num_threads()
    for threads in (1, 4):
        old, new = [], []
        for _ in range(args.rounds):
            old.append(per_call_us(old_limit, args.calls, threads))
            new.append(per_call_us(new_limit, args.calls, threads))
        o, n = statistics.median(old), statistics.median(new)
        print(f"{threads} request thread(s): before {o:.1f} µs/call, shared limit {n:.1f} µs/call, "
              f"ratio {n / o:.2f} (median of {args.rounds} rounds of {args.calls} calls)")
    print(f"torch threads after: {torch.get_num_threads()} (before: {before})")


if __name__ == "__main__":
    main()
