"""The chat-backend protocol, its errors, and backend spec strings."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "DEFAULT_OPENAI_BASE_URL",
    "BackendError",
    "BackendSpec",
    "BackendTimeout",
    "BackendUnavailable",
    "ChatBackend",
    "Message",
    "StreamInterrupted",
    "parse_spec",
]

Message = dict[str, str]
"""One chat turn: ``{"role": "system" | "user" | "assistant", "content": str}``."""

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"

BackendKind = Literal["extractive", "llamacpp", "openai", "fake"]


@runtime_checkable
class ChatBackend(Protocol):
    """A chat model that streams text.

    ``name`` is human-readable (``"llamacpp:model.gguf"``, ``"openai:llama3@http://…/v1"``);
    ``context_length`` is the number of tokens (prompt + answer) the model accepts.
    """

    name: str
    context_length: int

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.1,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield the answer as text deltas; raise a ``BackendError`` on failure. A generator
        may return a ``TokenUsage`` (its ``StopIteration.value``): the tokens the model read
        and wrote, as the model's tokenizer or its server counted them."""
        ...


class BackendError(Exception):
    """A backend failed; ``str(error)`` is a message fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BackendUnavailable(BackendError):
    """The backend cannot be used: model missing, server unreachable, key rejected…"""


class BackendTimeout(BackendError):
    """The backend did not answer within the configured timeout."""


class StreamInterrupted(BackendError):
    """The stream stopped before it was complete; ``partial`` is the text received."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


@dataclass(frozen=True)
class BackendSpec:
    """A parsed backend spec string (see ``parse_spec``); for ``fake``, ``model`` is the
    scripted reply."""

    kind: BackendKind
    model: str | None = None
    base_url: str | None = None


_SPEC_FORMS = (
    "valid backend specs: 'extractive'; 'llamacpp' (default model) or "
    "'llamacpp:/path/to/model.gguf'; 'openai:MODEL' (base URL from $OPENAI_BASE_URL, "
    f"else {DEFAULT_OPENAI_BASE_URL}) or 'openai:MODEL@http://127.0.0.1:11434/v1'"
)
_MODEL_AT_URL = re.compile(r"^(?P<model>.+?)@(?P<url>https?://\S+)$")


def _bad_spec(spec: str, why: str) -> ValueError:
    return ValueError(f"Bad backend spec {spec!r}: {why}. {_SPEC_FORMS}")


def parse_spec(spec: str, environ: Mapping[str, str] | None = None) -> BackendSpec:
    """Parse ``extractive``, ``llamacpp[:PATH]`` or ``openai:MODEL[@URL]`` (or ``fake[:REPLY]``,
    the scripted test double of ``assistant.llm.fake``).

    Raises ``ValueError`` listing the valid forms when ``spec`` matches none of them.
    """
    env = os.environ if environ is None else environ
    text = spec.strip() if isinstance(spec, str) else ""
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    rest = rest.strip()
    if kind == "extractive":
        if rest:
            raise _bad_spec(spec, "'extractive' takes no argument")
        return BackendSpec("extractive")
    if kind == "llamacpp":
        if sep and not rest:
            raise _bad_spec(spec, "missing model path after 'llamacpp:'")
        return BackendSpec("llamacpp", model=str(os.path.expanduser(rest)) if rest else None)
    if kind == "openai":
        return _parse_openai(spec, rest, env)
    if kind == "fake":  # the scripted test double (assistant.llm.fake): everything after ':'
        return BackendSpec("fake", model=rest or None)
    raise _bad_spec(spec, f"unknown backend {kind!r}" if kind else "empty spec")


def _parse_openai(spec: str, rest: str, env: Mapping[str, str]) -> BackendSpec:
    """``openai:MODEL[@URL]``, ``rest`` being what follows ``openai:``."""
    if not rest:
        raise _bad_spec(spec, "missing model name after 'openai:'")
    match = _MODEL_AT_URL.match(rest)
    if match:
        model, url = match["model"].strip(), match["url"]
    elif "@" in rest:
        raise _bad_spec(spec, "the part after '@' must be an http:// or https:// URL")
    else:
        model = rest
        url = env.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL
        if not url.startswith(("http://", "https://")):
            raise _bad_spec(spec, f"OPENAI_BASE_URL={url!r} is not an http(s) URL")
    if not model:
        raise _bad_spec(spec, "empty model name")
    return BackendSpec("openai", model=model, base_url=url.rstrip("/"))
