"""A scripted ``ChatBackend`` that records what it was asked (simonw/llm's mock model).

``FakeBackend("first reply", "second reply")`` answers its requests with those replies in
order, then with ``default`` (empty unless given), streamed in pieces of ``piece`` characters
so that callers see a real stream. ``error`` is raised after the reply (before any text when
there is none), as a backend that fails or stops mid-stream would; ``usage`` is the
``TokenUsage`` each finished stream returns (None: it reports none). Every request is kept in
``requests``. The spec ``fake`` gives one that always replies with nothing, ``fake:TEXT`` one
that always replies ``TEXT``: the whole answering path runs with no model and no network.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from assistant.llm.base import Message
from assistant.records import TokenUsage

__all__ = ["FakeBackend", "FakeRequest"]


@dataclass(frozen=True)
class FakeRequest:
    """One call of ``FakeBackend.stream``, as it was asked."""

    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float
    stop: tuple[str, ...] | None


class FakeBackend:
    """Streams scripted replies; ``requests`` lists what it was asked, oldest first."""

    def __init__(self, *replies: str, default: str = "", error: Exception | None = None,
                 name: str = "fake", context_length: int = 4096, piece: int = 7,
                 usage: TokenUsage | None = None) -> None:
        if piece < 1:
            raise ValueError(f"piece must be at least 1 character, got {piece}")
        self.name = name
        self.context_length = context_length
        self.default = default
        self.error = error
        self.piece = piece
        self.usage = usage
        self.requests: list[FakeRequest] = []
        self._replies = list(replies)

    def __repr__(self) -> str:
        return f"FakeBackend(name={self.name!r}, queued={len(self._replies)})"

    def enqueue(self, *replies: str) -> None:
        """Give the next requests these replies (after any still queued)."""
        self._replies.extend(replies)

    def stream(self, messages: list[Message], *, max_tokens: int = 512,
               temperature: float = 0.1, stop: list[str] | None = None,
               ) -> Generator[str, None, TokenUsage | None]:
        """Record the request, then yield the next reply in pieces (and raise ``error``)."""
        self.requests.append(FakeRequest(tuple(dict(m) for m in messages), max_tokens,
                                         temperature, tuple(stop) if stop else None))
        reply = self._replies.pop(0) if self._replies else self.default
        return self._pieces(reply)

    def _pieces(self, reply: str) -> Generator[str, None, TokenUsage | None]:
        for start in range(0, len(reply), self.piece):
            yield reply[start:start + self.piece]
        if self.error is not None:
            raise self.error
        return self.usage
