"""Serve a registered generation model: greedy (deterministic) answers, whole or streamed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from shared.card import ModelCard
from shared.device import pick_device
from shared.errors import DataError
from shared.tasks.generation.artifacts import load_generator
from shared.tasks.generation.data import prompt_ids
from shared.tasks.generation.errors import PromptTooLongError


class GenerationPredictor:
    def __init__(self, model: Any, tokenizer: Any, card: ModelCard | None = None,
                 device: torch.device | None = None):
        self.device = device or pick_device()
        self.model = model.to(self.device).eval()
        self.tokenizer, self.card = tokenizer, card
        self.context = int(getattr(model.config, "max_position_embeddings", 2048))

    def generate(self, prompt: str, max_new_tokens: int = 128, stream: bool = False) -> str | Iterator[str]:
        """The answer to `prompt` (greedy decoding); with `stream=True`, an iterator of text pieces."""
        kwargs = self._generate_kwargs(prompt, max_new_tokens)
        if stream:
            return self._stream(kwargs)
        with torch.inference_mode():
            out = self.model.generate(**kwargs)
        new = out[0, kwargs["input_ids"].shape[1]:]
        return self.tokenizer.decode(new, skip_special_tokens=True).strip()

    def _generate_kwargs(self, prompt: str, max_new_tokens: int) -> dict[str, Any]:
        if not isinstance(prompt, str) or not prompt.strip():
            raise DataError("The prompt is empty: give a question or instruction to answer.")
        if max_new_tokens < 1:
            raise DataError(f"max_new_tokens must be >= 1, got {max_new_tokens}.")
        ids = prompt_ids(self.tokenizer, prompt)
        if len(ids) + max_new_tokens > self.context:
            raise PromptTooLongError(
                f"The prompt is {len(ids)} tokens with the chat template; with {max_new_tokens} new tokens that "
                f"exceeds the model's {self.context}-token context. Shorten the prompt or ask for fewer tokens.")
        input_ids = torch.tensor([ids], device=self.device)
        return {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids),
                "max_new_tokens": max_new_tokens, "do_sample": False, "temperature": None, "top_p": None,
                "top_k": None, "pad_token_id": self.tokenizer.pad_token_id,
                "eos_token_id": self.tokenizer.eos_token_id}

    def _stream(self, kwargs: dict[str, Any]) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[Exception] = []

        def work() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**kwargs, streamer=streamer)
            except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread below
                failure.append(exc)
                streamer.end()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        first = True
        for piece in streamer:
            if first:  # the whole answer is stripped when not streaming; match it
                piece = piece.lstrip()
                first = not piece
            if piece:
                yield piece
        thread.join()
        if failure:
            raise failure[0]


def load(folder: Path, card: ModelCard, device: torch.device | None = None) -> GenerationPredictor:
    model, tokenizer = load_generator(Path(folder), card)
    return GenerationPredictor(model, tokenizer, card, device)
