"""`shared.threads.one_thread`: per-request calls on one thread, and the process's counts restored by the
last caller out, under concurrent callers (the counts are process-wide; each request has a thread)."""

from __future__ import annotations

import itertools
import random
import threading

import pytest


def _blas_threads() -> int:
    """numpy's own BLAS (FAISS may bring an OpenMP-built one whose count is per calling thread)."""
    from threadpoolctl import threadpool_info

    counts = [lib["num_threads"] for lib in threadpool_info()
              if lib["user_api"] == "blas" and "numpy" in lib["filepath"]]
    if not counts:
        pytest.skip("numpy links no BLAS that threadpoolctl can see")
    return min(counts)


def test_per_message_calls_run_on_one_thread():
    import faiss
    import torch

    from shared.threads import SMALL_BATCH, one_thread

    old, old_faiss = torch.get_num_threads(), faiss.omp_get_max_threads()
    torch.set_num_threads(2)
    faiss.omp_set_num_threads(2)
    try:
        with one_thread(1):
            assert torch.get_num_threads() == 1 and faiss.omp_get_max_threads() == 1
        assert torch.get_num_threads() == 2 and faiss.omp_get_max_threads() == 2
        with one_thread(SMALL_BATCH + 1):  # batches keep the process's threads
            assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), one_thread(1):
            raise RuntimeError("restored even on error")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)
        faiss.omp_set_num_threads(old_faiss)



def test_overlapping_per_message_calls_restore_the_process_thread_count():
    """Two sessions' calls overlap (A enters, B enters, A leaves, B leaves): the count stays 1 until the
    last one leaves, then comes back to what it was, not to the 1 that B saw on entering."""
    import threading

    import torch

    from shared.threads import one_thread

    old = torch.get_num_threads()
    torch.set_num_threads(2)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def session_a() -> None:
        with one_thread(1):
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def session_b() -> None:
        a_in.wait(10)
        with one_thread(1):
            b_in.set()
            a_out.wait(10)
            seen["b_after_a_left"] = torch.get_num_threads()

    try:
        threads = [threading.Thread(target=session_a), threading.Thread(target=session_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert seen == {"b_after_a_left": 1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)


def test_blas_is_limited_only_when_asked_and_restored():
    from threadpoolctl import threadpool_limits

    from shared.threads import one_thread

    with threadpool_limits(2, "blas"):
        before = _blas_threads()
        assert before == 2
        with one_thread(1):
            assert _blas_threads() == 2  # torch-only callers leave numpy's BLAS alone
        with one_thread(1, blas=True):
            assert _blas_threads() == 1
        assert _blas_threads() == 2


def test_many_overlapping_callers_hold_one_thread_while_any_is_inside_and_restore_at_the_end():
    """Eight request threads enter and leave in a random interleaving (one of them failing now and then):
    while any caller is inside, torch runs on one thread; once all have left, the count is what it was."""
    import torch

    from shared.threads import TORCH, one_thread

    old = torch.get_num_threads()
    torch.set_num_threads(2)
    seen_inside: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def request(k: int) -> None:
        rng = random.Random(k)
        start.wait(10)
        for _ in range(25):
            try:
                with one_thread(1):
                    seen_inside.append(torch.get_num_threads())
                    if k == 3 and rng.random() < 0.2:
                        raise KeyError("a failing request still leaves")
            except KeyError:
                pass
            except Exception as exc:  # noqa: BLE001 - reported by the main thread's assertion
                errors.append(exc)

    try:
        threads = [threading.Thread(target=request, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        # torch's count is OpenMP's per-thread setting: a caller that enters while another already holds the
        # limit may still read its own thread's count. What the limit guarantees is that it was set while
        # callers were inside, and that the process's count is restored once, after the last one leaves.
        assert len(seen_inside) == 8 * 25 and seen_inside.count(1) > 0
        assert TORCH.active == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)


def test_shared_limit_sets_once_for_the_first_caller_and_restores_once_after_the_last():
    """The counting itself, over a setting whose every change is recorded (the BLAS limit's logic: OpenBLAS
    0.3.31 ignores a count set from a worker thread once the main thread has set one, so its reported count
    cannot be read reliably across threads)."""
    from shared.threads import SharedLimit

    setting = {"threads": 2}
    changes: list[int] = []
    lock = threading.Lock()

    def limit():
        with lock:
            saved = setting["threads"]
            setting["threads"] = 1
            changes.append(1)

        def restore() -> None:
            with lock:
                setting["threads"] = saved
                changes.append(saved)

        return restore

    shared = SharedLimit(limit)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def caller_a() -> None:
        with shared.held():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def caller_b() -> None:
        a_in.wait(10)
        with shared.held():
            b_in.set()
            a_out.wait(10)
            seen["b_after_a_left"] = setting["threads"]

    threads = [threading.Thread(target=caller_a), threading.Thread(target=caller_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen == {"b_after_a_left": 1}
    assert changes == [1, 2]  # limited once, restored once, to the value before the first caller
    assert setting["threads"] == 2 and shared.active == 0

    seen_in_burst: list[int] = []

    def burst(k: int) -> None:
        for _ in range(50):
            with shared.held():
                seen_in_burst.append(setting["threads"])

    changes.clear()
    threads = [threading.Thread(target=burst, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen_in_burst == [1] * (6 * 50)
    assert setting["threads"] == 2 and shared.active == 0
    assert changes and changes[0] == 1 and changes[-1] == 2 and set(changes) == {1, 2}
    assert all(x != y for x, y in itertools.pairwise(changes))  # strictly alternating: never a nested save
