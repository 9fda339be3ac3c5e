"""(prompt, answer) rows → chat-formatted token ids with labels on the answer only.

Each example is `chat_template(user=prompt) + answer + EOS`. Labels are -100 (ignored by the loss)
on every prompt/template token, so the model learns to answer, not to reproduce questions or the
system prompt. Answers longer than the context are truncated (and counted); a prompt that alone fills
the context is an error naming its row, because no answer token would remain to learn from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from shared.data.batching import pad_batch
from shared.data.tables import require_columns
from shared.tasks.generation.errors import EmptyAnswerError, PromptTooLongError

IGNORE = -100  # the label torch's cross-entropy skips


@dataclass
class QAExample:
    input_ids: list[int]
    labels: list[int]   # IGNORE on prompt tokens, the token id itself on answer tokens (+ EOS)


def format_prompt(tokenizer: Any, prompt: str) -> str:
    """The prompt as the model sees it: one user turn, then the assistant header to answer after."""
    return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                         tokenize=False)


def prompt_ids(tokenizer: Any, prompt: str) -> list[int]:
    return tokenizer(format_prompt(tokenizer, prompt), add_special_tokens=False)["input_ids"]


def check_rows(df: pd.DataFrame, prompt_col: str, answer_col: str, where: str = "data") -> pd.DataFrame:
    """Both columns present and every row non-empty; returns the two columns as clean strings."""
    require_columns(df, [prompt_col, answer_col], what=where)
    out = df[[prompt_col, answer_col]].copy().reset_index(drop=True)
    for col, kind in ((prompt_col, "prompt"), (answer_col, "answer")):
        values = out[col].astype("string").fillna("").str.strip()
        empty = values.eq("")
        if empty.any():
            row = int(empty.idxmax())
            raise EmptyAnswerError(
                f"Row {row} of the {where} (counting from 0, header excluded) has an empty {kind} in "
                f"column {col!r}: fill it in or drop the row.")
        out[col] = values.astype(str)
    return out


def encode_qa(tokenizer: Any, prompts: Sequence[str], answers: Sequence[str], max_length: int,
              where: str = "data") -> tuple[list[QAExample], int]:
    """(examples, number of answers truncated to fit `max_length`)."""
    eos = tokenizer.eos_token_id
    answer_ids = tokenizer(list(answers), add_special_tokens=False)["input_ids"]
    examples, truncated = [], 0
    for row, (prompt, ans) in enumerate(zip(prompts, answer_ids)):
        p = prompt_ids(tokenizer, prompt)
        room = max_length - len(p)
        if room < 1:
            raise PromptTooLongError(
                f"Row {row} of the {where}: its prompt is {len(p)} tokens with the chat template, which fills "
                f"the {max_length}-token context and leaves no room for the answer. Shorten the prompt or raise "
                f"--max-length.")
        a = list(ans) + [eos]
        if len(a) > room:
            a, truncated = a[:room], truncated + 1
        examples.append(QAExample(p + a, [IGNORE] * len(p) + a))
    return examples, truncated


def collate(examples: Sequence[QAExample], pad_id: int, pad_multiple: int) -> dict[str, torch.Tensor]:
    ids, mask = pad_batch([e.input_ids for e in examples], pad_id, pad_multiple)
    labels, _ = pad_batch([e.labels for e in examples], IGNORE, pad_multiple)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
