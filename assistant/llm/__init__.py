"""Chat-model backends: one protocol, ``ChatBackend.stream``, and ``get_backend(spec)``.

Specs: ``openai:MODEL[@URL]`` (any OpenAI-compatible server), ``llamacpp[:PATH]``
(in-process GGUF), ``fake[:REPLY]`` (``fake.FakeBackend``: scripted replies, and a record of
every request, for tests and benchmarks), ``extractive`` (no model; handled by the answering
layer). Modules: ``base`` (the protocol, errors, spec parsing), ``factory``
(``get_backend``), ``openai_compat``, ``llamacpp`` (with ``prompt_reuse``: how many prompt
tokens its KV cache already held), ``models`` (the packaged GGUF), ``fake``.

Names are re-exported lazily: importing ``assistant.llm.base`` for the protocol and its
errors (as the answering layer does) loads no backend module, and clients (``httpx``,
``llama_cpp``) are imported only when a backend is used. Knows nothing of the index.
"""

from __future__ import annotations

import importlib

__all__ = [
    "DEFAULT_OPENAI_BASE_URL",
    "LLAMACPP_REGISTRY",
    "BackendError",
    "BackendSpec",
    "BackendTimeout",
    "BackendUnavailable",
    "ChatBackend",
    "FakeBackend",
    "LlamaCppBackend",
    "LlamaCppRegistry",
    "Message",
    "OpenAICompatBackend",
    "StreamInterrupted",
    "get_backend",
    "parse_spec",
]

_HOME = {
    "DEFAULT_OPENAI_BASE_URL": "base", "BackendError": "base", "BackendSpec": "base",
    "BackendTimeout": "base", "BackendUnavailable": "base", "ChatBackend": "base",
    "Message": "base", "StreamInterrupted": "base", "parse_spec": "base",
    "LLAMACPP_REGISTRY": "factory", "get_backend": "factory", "FakeBackend": "fake",
    "LlamaCppBackend": "llamacpp", "LlamaCppRegistry": "llamacpp",
    "OpenAICompatBackend": "openai_compat",
}


def __getattr__(name: str) -> object:
    if name in _HOME:
        return getattr(importlib.import_module(f"assistant.llm.{_HOME[name]}"), name)
    if name == "models":  # ``from assistant.llm import models``
        return importlib.import_module("assistant.llm.models")
    raise AttributeError(f"module 'assistant.llm' has no attribute {name!r}")
