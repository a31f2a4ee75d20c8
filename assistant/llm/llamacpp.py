"""In-process GGUF models through ``llama_cpp.Llama`` (imported on first load).

``LlamaOptions`` says how a file is run. The defaults are what ``benchmarks.local_model``
measured on 12 dev questions (2 cores, AVX-512 build, load average ~2, mean first text:
3.73 s for these defaults, 3.76 s with the since-dropped KV stash the levers were tried
on): flash attention off (3.52 s, within the noise: a paired ``benchmarks.llama_kernels``
run had its prefill 9% slower); no prompt-lookup drafts (3.61 s, but 6.08 s in all against
5.08 s: generation fell from 20 to 11.5 tokens/s, as verifying 10 drafts costs more than
the few accepted save on 20-45-token answers; removed); and the Q4_K_M file, not Q4_0
(3.63 s, with 7 of 12 answers changed). The build is the lever that counted: prefill 77
against 36 tokens/s for the AVX2-only one (``scripts/install_llama.sh`` picks the flags).

The fixed system turn (154 tokens, byte-identical in every answer prompt) is computed once
and reused across requests by llama-cpp-python's own prefix reuse: 298 of 453 prompt tokens
evaluated per answer prompt (``RunStats``; ``prompt_reuse`` says why no KV stash is kept).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.llm.base import BackendError, BackendUnavailable, Message, StreamInterrupted
from assistant.llm.prompt_reuse import PromptCounter
from assistant.records import TokenUsage

__all__ = ["LlamaCppBackend", "LlamaCppRegistry", "LlamaOptions", "RunStats", "default_threads"]


def default_threads() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class LlamaOptions:
    """How one GGUF file is run (the registry keeps one model per file and options)."""

    n_ctx: int = 4096
    n_threads: int = 0  # 0: every core this process may use (default_threads)
    n_batch: int = 512  # prompt tokens per decode call (the answer prompts are 250-750)
    flash_attn: bool = False

    def __post_init__(self) -> None:
        if self.n_ctx < 16 or self.n_batch < 1 or self.n_threads < 0:
            raise ValueError(f"bad llama.cpp options: {self}; n_ctx must be at least 16, "
                             f"n_batch at least 1, n_threads 0 (all cores) or more")

    @property
    def threads(self) -> int:
        return self.n_threads or default_threads()

    def llama_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``llama_cpp.Llama`` (the file path aside)."""
        return {"n_ctx": self.n_ctx, "n_threads": self.threads,
                "n_threads_batch": self.threads, "n_batch": self.n_batch,
                "n_ubatch": self.n_batch, "flash_attn": self.flash_attn, "verbose": False}


@dataclass(frozen=True)
class RunStats:
    """One stream, measured (``LlamaCppBackend.last_run``): prompt tokens, how many of them
    the model's state already held (llama-cpp-python evaluated only the rest), text pieces
    streamed (one a token, but for the few held back at a stop string), and seconds to the
    first text and in all."""

    prompt_tokens: int
    reused_tokens: int
    generated_tokens: int
    first_text_s: float | None
    total_s: float

    @property
    def evaluated_tokens(self) -> int:
        return self.prompt_tokens - self.reused_tokens


class LlamaCppBackend:
    """A ``ChatBackend`` over one GGUF file, loaded on first use.

    A llama.cpp model is not thread-safe: one lock serialises loading and every stream,
    and is held until the stream is exhausted or closed. Close abandoned streams
    (``gen.close()``) so others are not kept waiting until garbage collection.
    ``last_run`` measures the latest finished stream.
    """

    def __init__(
        self, model_path: str | os.PathLike[str], *, n_ctx: int = 4096,
        n_threads: int | None = None, options: LlamaOptions | None = None,
    ) -> None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise BackendUnavailable(
                f"Model file {path} not found. Give an existing .gguf file "
                f"('llamacpp:/path/model.gguf'), or run scripts/install_llama.sh and "
                f"python -m assistant.llm.models for the default model."
            )
        if options is None:
            options = LlamaOptions(n_ctx=n_ctx, n_threads=n_threads or 0)
        self.model_path = path.resolve()
        self.name = f"llamacpp:{path.name}"
        self.options = options
        self.context_length = options.n_ctx
        self.n_threads = options.threads
        self.last_run: RunStats | None = None
        self._lock = threading.Lock()
        self._llama: Any = None
        self._counter: PromptCounter | None = None

    def __repr__(self) -> str:
        return f"LlamaCppBackend({str(self.model_path)!r}, {self.options})"

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._llama is not None

    def load(self) -> None:
        """Load the weights now (otherwise the first ``stream`` does)."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise BackendUnavailable(
                    "llama-cpp-python is not installed; run scripts/install_llama.sh, "
                    "or pick another backend."
                ) from None
            try:
                self._llama = Llama(model_path=str(self.model_path),
                                    **self.options.llama_kwargs())
            except Exception as exc:
                raise BackendUnavailable(
                    f"Could not load {self.model_path} with llama.cpp ({exc}). Is it a "
                    f"complete GGUF file? Try another model or backend."
                ) from None
            self._counter = PromptCounter(self._llama)
        return self._llama

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.1,
        stop: list[str] | None = None,
    ) -> Generator[str, None, TokenUsage]:
        """Yield text deltas, holding the model's lock until the stream ends; return the
        tokens read and written, counted with the model's own tokenizer."""
        with self._lock:
            started = time.perf_counter()
            llama = self._load_locked()
            parts: list[str] = []
            first: float | None = None
            try:
                assert self._counter is not None  # made with the model
                prompt_tokens, reused = self._counter.count(messages)
                chunks = llama.create_chat_completion(
                    messages=messages,
                    stream=True,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=stop or None,
                )
                for chunk in chunks:
                    choices = chunk.get("choices") or [{}]
                    text = (choices[0].get("delta") or {}).get("content")
                    if text:
                        first = first or time.perf_counter()
                        parts.append(text)
                        yield text
            except Exception as exc:
                if parts:
                    raise StreamInterrupted(
                        f"llama.cpp stopped mid-answer ({exc}).", "".join(parts)
                    ) from None
                raise BackendError(f"llama.cpp could not answer with {self.name}: {exc}") from None
            self.last_run = RunStats(
                prompt_tokens, reused, len(parts),
                None if first is None else first - started, time.perf_counter() - started)
            written = llama.tokenize("".join(parts).encode("utf-8"), add_bos=False)
            return TokenUsage(prompt_tokens, len(written))


class LlamaCppRegistry:
    """Keeps one ``LlamaCppBackend`` per (model file, options), thread-safely.

    A loaded model costs seconds and gigabytes, so callers share instances through a
    registry instead of constructing backends themselves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backends: dict[tuple[Path, LlamaOptions], LlamaCppBackend] = {}

    def get(
        self, model_path: str | os.PathLike[str], *, n_ctx: int = 4096,
        n_threads: int | None = None, options: LlamaOptions | None = None,
    ) -> LlamaCppBackend:
        """The shared backend for this file and options (``n_ctx``/``n_threads`` override
        the defaults when ``options`` is not given), created if needed."""
        path = Path(model_path).expanduser().resolve()
        options = options or LlamaOptions(n_ctx=n_ctx, n_threads=n_threads or 0)
        options = replace(options, n_threads=options.threads)
        key = (path, options)
        with self._lock:
            backend = self._backends.get(key)
            if backend is None:
                backend = LlamaCppBackend(path, options=options)
                self._backends[key] = backend
            return backend

    def clear(self) -> None:
        """Forget every backend (their models are freed once no caller holds them)."""
        with self._lock:
            self._backends.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._backends)
