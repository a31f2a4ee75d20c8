"""``get_backend``: from a spec string to a ready ``ChatBackend``."""

from __future__ import annotations

import os

from assistant.llm.base import ChatBackend, parse_spec
from assistant.llm.fake import FakeBackend
from assistant.llm.llamacpp import LlamaCppRegistry
from assistant.llm.openai_compat import OpenAICompatBackend
from assistant.settings import Settings

__all__ = ["LLAMACPP_REGISTRY", "get_backend"]

LLAMACPP_REGISTRY = LlamaCppRegistry()
"""Process-wide cache of local models, used when ``get_backend`` gets no ``registry``.

Creating it costs nothing; it only fills when a ``llamacpp`` backend is requested.
"""


def get_backend(
    spec: str,
    settings: Settings | None = None,
    *,
    registry: LlamaCppRegistry | None = None,
    send_key: bool = True,
) -> ChatBackend:
    """Build the backend named by ``spec`` (see ``parse_spec``).

    ``llamacpp`` without a path uses the default model, assembling it from its installed
    PyPI parts on first use. Local backends are shared through ``registry``. Raises
    ``ValueError`` for a bad spec or for ``extractive`` (not a chat model; the answering
    layer handles it), ``BackendUnavailable`` when the model cannot be found.
    ``send_key=False`` builds an ``openai:`` backend without the server's API key: for a URL
    a visitor typed, which must never receive it (``serve.backends``).
    """
    settings = settings or Settings.from_env()
    parsed = parse_spec(spec)
    if parsed.kind == "extractive":
        raise ValueError("extractive is not a chat model; the answering layer handles it")
    if parsed.kind == "fake":
        return FakeBackend(default=parsed.model or "")
    if parsed.kind == "openai":
        assert parsed.model is not None and parsed.base_url is not None
        key_env = settings.openai_api_key_env
        return OpenAICompatBackend(
            parsed.model,
            parsed.base_url,
            api_key=(os.environ.get(key_env) or None) if send_key else None,
            api_key_env=key_env,
            request_timeout=settings.request_timeout,
            connect_timeout=settings.connect_timeout,
            context_length=int(getattr(settings, "openai_context_length", 8192)),
        )
    from assistant.llm.models import assemble_default_model, default_gguf_path

    if parsed.model:
        path = parsed.model
    else:
        path = default_gguf_path(settings)
        if not path.is_file():
            path = assemble_default_model(settings)
    n_ctx = int(getattr(settings, "llamacpp_n_ctx", 4096))
    return (LLAMACPP_REGISTRY if registry is None else registry).get(path, n_ctx=n_ctx)
