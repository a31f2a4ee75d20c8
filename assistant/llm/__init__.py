"""Chat-model backends: one protocol, ``ChatBackend.stream``, and ``get_backend(spec)``.

Specs: ``openai:MODEL[@URL]`` (any OpenAI-compatible server), ``llamacpp[:PATH]``
(in-process GGUF), ``extractive`` (no model; handled by the answering layer). Clients
(``httpx``, ``llama_cpp``) are imported only when a backend is used. Local model files:
``assistant.llm.models``.
"""

from __future__ import annotations

from assistant.llm.base import (
    DEFAULT_OPENAI_BASE_URL,
    BackendError,
    BackendSpec,
    BackendTimeout,
    BackendUnavailable,
    ChatBackend,
    Message,
    StreamInterrupted,
    parse_spec,
)
from assistant.llm.factory import LLAMACPP_REGISTRY, get_backend
from assistant.llm.llamacpp import LlamaCppBackend, LlamaCppRegistry
from assistant.llm.openai_compat import OpenAICompatBackend

__all__ = [
    "DEFAULT_OPENAI_BASE_URL",
    "LLAMACPP_REGISTRY",
    "BackendError",
    "BackendSpec",
    "BackendTimeout",
    "BackendUnavailable",
    "ChatBackend",
    "LlamaCppBackend",
    "LlamaCppRegistry",
    "Message",
    "OpenAICompatBackend",
    "StreamInterrupted",
    "get_backend",
    "parse_spec",
]
