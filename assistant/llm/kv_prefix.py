"""The KV state of each fixed system prompt, computed once and put back before each request.

llama-cpp-python already skips the longest token prefix a prompt shares with the previous
call. That keeps the answer prompt's system turn across questions, but not across a
different prompt in between: after the follow-up rewrite (another system prompt) the next
answer prompt shared 3 tokens with it and its whole system turn was evaluated
again. ``PrefixCache`` keeps the KV cells of each system turn it has seen (a few MB each:
28 KB a token for Qwen2.5-1.5B) and, when the model's live state does not start with a
request's system turn, copies them back first. Measured on the 6 dev follow-ups
(``benchmarks.local_model --kinds followup``, 2 cores): 564 prompt tokens evaluated per
answer without it, 434 with it, first text 10.0 s -> 8.4 s; other questions are unchanged
(3.73 s against 3.76 s), since their system turn was already live.

Correctness does not depend on the rendering here: llama-cpp-python compares the prompt's
tokens with the restored ones and re-evaluates from the first difference.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.llm.base import Message

__all__ = ["MAX_PREFIXES", "PrefixCache", "Prepared", "common_prefix"]

MAX_PREFIXES = 4  # system prompts kept (the answer and the rewrite prompts use two)
_MIN_PREFIX = 16  # a shorter system turn is not worth a stash


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True)
class Prepared:
    """What ``PrefixCache.prepare`` found: the prompt's tokens and how many of them the
    model's state already holds (llama-cpp-python evaluates only the rest)."""

    prompt_tokens: int
    reused: int
    restored: bool  # whether a stashed system turn was copied back for this request


@dataclass(frozen=True)
class _Stash:
    tokens: tuple[int, ...]
    state: bytes


class PrefixCache:
    """Stashed system-turn KV states for one ``llama_cpp.Llama``; not thread-safe (the
    backend's lock serialises every use of the model). With ``max_prefixes=0`` it stashes
    nothing and only counts (llama-cpp-python's own prefix reuse, for comparison)."""

    def __init__(self, llama: Any, max_prefixes: int = MAX_PREFIXES) -> None:
        self._llama = llama
        self._max = max_prefixes
        self._stashes: OrderedDict[tuple[int, ...], _Stash] = OrderedDict()
        self._render = _renderers(llama)

    def __len__(self) -> int:
        return len(self._stashes)

    def prepare(self, messages: list[Message]) -> Prepared:
        """Make the model's state start with ``messages``' system turn (evaluating and
        stashing it the first time), so that only the rest of the prompt is evaluated."""
        full, prefix = self._tokens(messages)
        held = self._held(full)
        how = "kept"
        if self._max and len(prefix) >= _MIN_PREFIX:
            how = self._ensure(tuple(prefix))
        if how != "evaluated":  # else the prefix was evaluated for this request: not reused
            held = self._held(full)
        return Prepared(len(full), min(held, max(len(full) - 1, 0)), how == "restored")

    def _held(self, tokens: Sequence[int]) -> int:
        llama = self._llama
        return common_prefix([int(t) for t in llama.input_ids[: llama.n_tokens]], tokens)

    def _tokens(self, messages: list[Message]) -> tuple[list[int], list[int]]:
        """The prompt's tokens and those of its system turn (empty when it has none or the
        template does not render the system turn as a prefix of the whole prompt)."""
        if self._render is None:
            return [], []
        whole, head = self._render
        text = whole(messages=messages).prompt
        tokenize = self._llama.tokenize
        full = tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if not messages or messages[0].get("role") != "system":
            return full, []
        head_text = head(messages=messages[:1]).prompt
        if not text.startswith(head_text):
            return full, []
        return full, tokenize(head_text.encode("utf-8"), add_bos=False, special=True)

    def _ensure(self, prefix: tuple[int, ...]) -> str:
        """Put ``prefix``'s KV cells in place: "kept" (they were there, or a failed restore
        left an empty state), "restored" (copied back from the stash) or "evaluated"
        (computed now, and stashed)."""
        llama = self._llama
        live = self._held(prefix) == len(prefix)
        stash = self._stashes.get(prefix)
        if stash is not None:
            self._stashes.move_to_end(prefix)
            if live:
                return "kept"
            return "restored" if self._restore(stash) else "kept"
        how = "kept"
        if live:  # keep only the prefix, so that the stash holds nothing else
            llama._ctx.kv_cache_seq_rm(0, len(prefix), -1)
            llama.n_tokens = len(prefix)
        else:
            llama.reset()
            llama.eval(list(prefix))
            how = "evaluated"
        self._stashes[prefix] = _Stash(prefix, _seq_state(llama))
        while len(self._stashes) > self._max:
            self._stashes.popitem(last=False)
        return how

    def _restore(self, stash: _Stash) -> bool:
        llama = self._llama
        llama._ctx.kv_cache_seq_rm(0, 0, -1)
        size = len(stash.state)
        buffer = (ctypes.c_uint8 * size).from_buffer_copy(stash.state)
        from llama_cpp import llama_cpp as api

        if api.llama_state_seq_set_data(llama.ctx, buffer, size, 0) != size:
            llama.reset()  # nothing restored: the whole prompt is evaluated, as before
            return False
        n = len(stash.tokens)
        llama.input_ids[:n] = stash.tokens
        llama.n_tokens = n
        return True


def _seq_state(llama: Any) -> bytes:
    """Sequence 0's KV cells (tokens 0..n_tokens), as bytes."""
    from llama_cpp import llama_cpp as api

    size = api.llama_state_seq_get_size(llama.ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = api.llama_state_seq_get_data(llama.ctx, buffer, size, 0)
    return bytes(buffer)[:written]


def _renderers(llama: Any) -> tuple[Any, Any] | None:
    """The GGUF chat template as llama-cpp-python renders it (whole prompt, and system turn
    alone without the assistant header); None for a model without one."""
    template = (getattr(llama, "metadata", None) or {}).get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def text(token: int) -> str:
        if token < 0:
            return ""
        return llama.detokenize([token], special=True).decode("utf-8", "replace")

    eos, bos = text(llama.token_eos()), text(llama.token_bos())
    return (Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=True),
            Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=False))
