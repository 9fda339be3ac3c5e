"""The batching encoder over the real MiniLM: concurrent one-text calls get exactly the vectors they would
get alone, in fewer forward passes; an encoder failure reaches every waiting caller."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from shared.http.batching import BatchingEncoder

TEXTS = [f"how long does a building permit take, question {i}" for i in range(16)]


def test_concurrent_calls_are_batched_and_answer_each_caller(encoder):
    alone = {t: encoder.inner.encode([t])[0] for t in TEXTS}
    batching = BatchingEncoder(encoder.inner)
    out: dict[str, np.ndarray] = {}
    start = threading.Barrier(len(TEXTS))

    def call(text: str) -> None:
        start.wait()
        out[text] = batching.encode([text])

    threads = [threading.Thread(target=call, args=(t,)) for t in TEXTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for text in TEXTS:
        assert out[text].shape == (1, encoder.dim)
        assert np.allclose(out[text][0], alone[text], atol=1e-5)
    assert 1 <= batching.batches < len(TEXTS)
    many = batching.encode(TEXTS[:3])  # several texts go straight through
    assert many.shape == (3, encoder.dim)


def test_a_batch_runs_on_one_intra_op_thread():
    """However many requests a batch gathers, its forward pass holds the one-thread limit."""
    from shared.threads import TORCH

    seen: list[int] = []

    class Recording:
        name, dim = "recording", 2

        def encode(self, texts):
            seen.append(TORCH.active)
            return np.zeros((len(texts), 2), np.float32)

    batching = BatchingEncoder(Recording())
    threads = [threading.Thread(target=batching.encode, args=([t],)) for t in TEXTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen and all(active >= 1 for active in seen)


def test_an_encoder_failure_reaches_the_caller():
    class Broken:
        name, dim = "broken", 4

        def encode(self, texts):
            raise RuntimeError(f"cannot encode {len(texts)} text(s)")

    with pytest.raises(RuntimeError, match="cannot encode 1 text"):
        BatchingEncoder(Broken()).encode(["x"])
