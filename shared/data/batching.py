"""Length-bucketed batches with dynamic padding: similar lengths share a batch, so little is padded.

Padded lengths are rounded up to a multiple of `pad_multiple`, which bounds the set of shapes
(`torch.compile` then does not recompile per batch, and tensor cores get aligned sizes).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import torch


def bucketed_batches(lengths: Sequence[int], batch_size: int, shuffle: bool, seed: int = 0,
                     bucket_factor: int = 50) -> list[list[int]]:
    """Index batches: shuffle, sort within windows of `bucket_factor` batches by length, shuffle batches."""
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
    window = batch_size * bucket_factor
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    if shuffle:
        rng.shuffle(batches)
    return batches


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int, pad_multiple: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask) padded on the right to the batch max, rounded up to `pad_multiple`."""
    longest = max(len(s) for s in sequences)
    width = -(-longest // pad_multiple) * pad_multiple
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def shard(batches: list[list[int]], rank: int, world_size: int) -> Iterator[list[int]]:
    """Each rank takes every world_size-th batch; all ranks get the same count (extras dropped)."""
    usable = len(batches) - len(batches) % world_size if world_size > 1 else len(batches)
    return iter(batches[rank:usable:world_size])
