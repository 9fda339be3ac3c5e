"""Grounded answers from retrieved passages, with numbered citations.

Extractive composition is the default and the fallback: it quotes the best passage (a FAQ answer, or
the document sentences that best match the question). A generator (local SmolLM2 or any
OpenAI-compatible endpoint) may rewrite it, prompted with the retrieved passages only; if it fails,
times out or returns nothing, the extractive answer is used.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from customer_service.errors import GenerationError
from customer_service.knowledge import Passage
from customer_service.settings import GenerationSettings

_WORD = re.compile(r"\w\w+")
_SENT = re.compile(r"(?<=[.!?])\s+")
_STOP = frozenset(["the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "is", "are", "be", "do", "does", "how", "what", "when", "where", "which", "who", "can", "i", "my", "you", "your", "it", "this", "that", "with", "at", "by", "from", "as", "me", "we", "our", "us", "if", "there", "their", "they", "will", "would"])


@dataclass
class Answer:
    text: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    generated: bool = False
    fallback_reason: str = ""


def sources_of(passages: list[Passage]) -> list[dict[str, Any]]:
    return [{"n": p.number, "label": p.label, "document": p.document, "chunk_id": p.chunk_id,
             "position": p.position, "dense": round(p.dense, 4), "lexical": round(p.lexical, 3),
             "text": p.text} for p in passages]


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def extractive_answer(query: str, passages: list[Passage], max_sentences: int = 3) -> Answer:
    """Quote the top passage's answer (FAQ) or its best-matching sentences (documents), cited [n].

    A second passage is cited only when it is nearly as similar as the first, so the reply stays short.
    """
    if not passages:
        return Answer(text="", sources=[])
    top = passages[0]
    parts = [f"{_best_text(query, top, max_sentences)} [{top.number}]"]
    for other in passages[1:2]:
        if other.dense >= top.dense - 0.03 and other.meta.get("answer") != top.meta.get("answer"):
            parts.append(f"See also: {_best_text(query, other, 1)} [{other.number}]")
    used = [top] + [p for p in passages[1:2] if f"[{p.number}]" in parts[-1]]
    return Answer(text="\n\n".join(parts), sources=sources_of(used))


def _best_text(query: str, passage: Passage, max_sentences: int) -> str:
    if passage.meta.get("answer"):
        return str(passage.meta["answer"])
    sentences = [s.strip() for s in _SENT.split(passage.text) if s.strip()]
    if len(sentences) <= max_sentences:
        return " ".join(sentences)
    q = _terms(query)
    scored = sorted(range(len(sentences)), key=lambda i: (-len(q & _terms(sentences[i])), i))[:max_sentences]
    return " ".join(sentences[i] for i in sorted(scored))  # keep document order for readability


class Generator(Protocol):
    def generate(self, prompt_messages: list[dict[str, str]], settings: GenerationSettings) -> str: ...


def build_prompt(query: str, passages: list[Passage], context: str = "") -> list[dict[str, str]]:
    """Chat messages holding only the retrieved passages: the model is told to answer from them alone."""
    numbered = "\n\n".join(f"[{p.number}] {p.meta.get('answer') or p.text}" for p in passages)
    system = ("You are a customer-support assistant. Answer the customer's question using ONLY the numbered "
              "passages. Cite passages as [1], [2]. If the passages do not answer the question, say you will "
              "pass the question to a colleague. Keep it under 80 words.")
    user = f"Passages:\n{numbered}\n\n" + (f"Earlier in the conversation: {context}\n\n" if context else "") + \
        f"Question: {query}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LocalGenerator:
    """SmolLM2-135M-Instruct (or another causal LM folder) loaded once through the core."""

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, name: str = "smollm2") -> LocalGenerator:
        from shared.models.loading import load_causal_lm

        model, tokenizer = load_causal_lm(name)
        model.eval()
        return cls(model, tokenizer)

    def generate(self, prompt_messages: list[dict[str, str]], settings: GenerationSettings) -> str:
        import torch

        ids = self.tokenizer.apply_chat_template(prompt_messages, add_generation_prompt=True, return_tensors="pt",
                                                 return_dict=True)
        with torch.inference_mode():
            out = self.model.generate(**ids, max_new_tokens=settings.max_new_tokens, do_sample=False,
                                      max_time=settings.timeout_s, pad_token_id=self.tokenizer.pad_token_id)
        return self.tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()


class EndpointGenerator:
    """Any OpenAI-compatible chat-completions server (vLLM, TGI, llama.cpp server...).

    The prompt leaves the machine, so every message passes through the workspace's redaction policy first;
    the request goes through the fenced outbound client (shared/net.py); the key (named by `api_key_env`)
    is only sent over https unless `allow_plain_http` is set."""

    def __init__(self, redact: Callable[[str], str] | None = None, policy: Any = None) -> None:
        if redact is None:
            from shared.pii.policy import default_policy

            redact = default_policy().redact
        self.redact = redact
        self.policy = policy  # an OutboundPolicy; None: the suite's (settings outbound_allow), read per call

    def generate(self, prompt_messages: list[dict[str, str]], settings: GenerationSettings) -> str:
        import httpx

        from shared.errors import OutboundError
        from shared.net import default_policy, redact_url, request

        key = os.environ.get(settings.api_key_env, "")
        url = settings.endpoint_url.rstrip("/") + "/chat/completions"
        shown = redact_url(settings.endpoint_url)
        if key and url.startswith("http://") and not settings.allow_plain_http:
            raise GenerationError(f"Endpoint {shown} is plain http: the key in {settings.api_key_env} is not sent "
                                  "in clear. Use https, or set allow_plain_http for a trusted local server.")
        messages = [{**m, "content": self.redact(m["content"])} for m in prompt_messages]
        policy = (self.policy or default_policy()).replace(deadline_s=settings.timeout_s)
        try:
            resp = request("POST", url, json={"model": settings.model, "messages": messages,
                                              "max_tokens": settings.max_new_tokens, "temperature": 0},
                           headers={"Authorization": f"Bearer {key}"} if key else {}, policy=policy)
            if resp.status_code >= 400:
                raise GenerationError(f"Endpoint {shown} answered HTTP {resp.status_code}")
            return str(resp.json()["choices"][0]["message"]["content"]).strip()
        except (httpx.HTTPError, OutboundError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise GenerationError(f"Endpoint {shown} failed: {exc}") from None


class Composer:
    """Extractive answer, optionally rewritten by a generator; the extractive one is the fallback."""

    def __init__(self, settings: GenerationSettings | None = None, generator: Generator | None = None) -> None:
        self.settings = settings or GenerationSettings()
        self.generator = generator

    def compose(self, query: str, passages: list[Passage], context: str = "") -> Answer:
        extractive = extractive_answer(query, passages)
        if self.settings.mode == "off" or self.generator is None or not passages:
            return extractive
        started = time.perf_counter()
        try:
            text = self.generator.generate(build_prompt(query, passages, context), self.settings)
        except GenerationError as exc:
            extractive.fallback_reason = str(exc)
            return extractive
        if time.perf_counter() - started > self.settings.timeout_s:
            extractive.fallback_reason = f"generation took longer than {self.settings.timeout_s:.0f} s"
            return extractive
        if not text:
            extractive.fallback_reason = "the generator returned nothing"
            return extractive
        cited = [p for p in passages if f"[{p.number}]" in text] or passages[:1]
        if not any(f"[{p.number}]" in text for p in passages):
            text = f"{text} [{cited[0].number}]"
        return Answer(text=text, sources=sources_of(cited), generated=True)
