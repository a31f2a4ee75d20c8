"""How much of a chat prompt a ``llama_cpp.Llama`` already holds in its KV cache.

llama-cpp-python keeps the previous call's tokens and evaluates a prompt only from the
first token where the two differ. Every answer prompt opens with the same byte-identical
system turn (154 tokens for Qwen2.5-Coder-1.5B), so it is computed once and reused by each
later request: measured as 298 of 453 prompt tokens evaluated per dev answer prompt
(``benchmarks.local_model``, the mean). A stash of the system turn's KV state, put back
before each request, was measured and dropped once the follow-up rewrite call went: it only
helped after the rewrite's other system prompt, and without it gave 3.76 s first text
against 3.73 s for llama-cpp-python's reuse alone.

``PromptCounter`` renders a request as llama-cpp-python does (the GGUF chat template) to
count its tokens and those the live state already holds, for ``RunStats``. The counts
only measure: correctness does not depend on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.llm.base import Message

__all__ = ["PromptCounter", "common_prefix"]


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PromptCounter:
    """Prompt tokens for one ``llama_cpp.Llama`` (a ``vocab_only`` one will do for
    ``tokens``); not thread-safe (the backend's lock serialises every use of the model)."""

    def __init__(self, llama: Any) -> None:
        self._llama = llama
        self._render = _renderer(llama)

    def tokens(self, messages: list[Message]) -> list[int]:
        """The request's prompt tokens, as the model reads them (empty for a model without
        a chat template)."""
        if self._render is None:
            return []
        text = self._render(messages=messages).prompt
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def count(self, messages: list[Message]) -> tuple[int, int]:
        """(prompt tokens, how many of them the live state holds). Call it before the
        request: llama-cpp-python evaluates the rest, and always the last token (its
        logits are needed), so at most all but one are reused."""
        full = self.tokens(messages)
        llama = self._llama
        held = common_prefix([int(t) for t in llama.input_ids[: llama.n_tokens]], full)
        return len(full), min(held, max(len(full) - 1, 0))


def _renderer(llama: Any) -> Any:
    """The GGUF chat template as llama-cpp-python renders it; None for a model without one."""
    template = (getattr(llama, "metadata", None) or {}).get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def text(token: int) -> str:
        if token < 0:
            return ""
        return llama.detokenize([token], special=True).decode("utf-8", "replace")

    return Jinja2ChatFormatter(template, text(llama.token_eos()), text(llama.token_bos()),
                               add_generation_prompt=True)
