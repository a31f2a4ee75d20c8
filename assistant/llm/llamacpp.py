"""In-process GGUF models through ``llama_cpp.Llama`` (imported on first load)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.llm.base import BackendError, BackendUnavailable, Message, StreamInterrupted

__all__ = ["LlamaCppBackend", "LlamaCppRegistry", "default_threads"]


def default_threads() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LlamaCppBackend:
    """A ``ChatBackend`` over one GGUF file, loaded on first use.

    A llama.cpp model is not thread-safe: one lock serialises loading and every stream,
    and is held until the stream is exhausted or closed. Close abandoned streams
    (``gen.close()``) so others are not kept waiting until garbage collection.
    """

    def __init__(
        self, model_path: str | os.PathLike[str], *, n_ctx: int = 4096, n_threads: int | None = None
    ) -> None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise BackendUnavailable(
                f"Model file {path} not found. Give an existing .gguf file "
                f"('llamacpp:/path/model.gguf'), or run scripts/install_llama.sh and "
                f"python -m assistant.llm.models for the default model."
            )
        self.model_path = path.resolve()
        self.name = f"llamacpp:{path.name}"
        self.context_length = n_ctx
        self.n_threads = n_threads or default_threads()
        self._lock = threading.Lock()
        self._llama: Any = None

    def __repr__(self) -> str:
        return f"LlamaCppBackend({str(self.model_path)!r}, n_ctx={self.context_length})"

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
                self._llama = Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.context_length,
                    n_threads=self.n_threads,
                    verbose=False,
                )
            except Exception as exc:
                raise BackendUnavailable(
                    f"Could not load {self.model_path} with llama.cpp ({exc}). Is it a "
                    f"complete GGUF file? Try another model or backend."
                ) from None
        return self._llama

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.1,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield text deltas, holding the model's lock until the stream ends."""
        with self._lock:
            llama = self._load_locked()
            parts: list[str] = []
            try:
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
                        parts.append(text)
                        yield text
            except Exception as exc:
                if parts:
                    raise StreamInterrupted(
                        f"llama.cpp stopped mid-answer ({exc}).", "".join(parts)
                    ) from None
                raise BackendError(f"llama.cpp could not answer with {self.name}: {exc}") from None


class LlamaCppRegistry:
    """Keeps one ``LlamaCppBackend`` per (model file, n_ctx, n_threads), thread-safely.

    A loaded model costs seconds and gigabytes, so callers share instances through a
    registry instead of constructing backends themselves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backends: dict[tuple[Path, int, int], LlamaCppBackend] = {}

    def get(
        self, model_path: str | os.PathLike[str], *, n_ctx: int = 4096, n_threads: int | None = None
    ) -> LlamaCppBackend:
        """The shared backend for this file and settings, created if needed."""
        path = Path(model_path).expanduser().resolve()
        key = (path, n_ctx, n_threads or default_threads())
        with self._lock:
            backend = self._backends.get(key)
            if backend is None:
                backend = LlamaCppBackend(path, n_ctx=n_ctx, n_threads=key[2])
                self._backends[key] = backend
            return backend

    def clear(self) -> None:
        """Forget every backend (their models are freed once no caller holds them)."""
        with self._lock:
            self._backends.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._backends)
