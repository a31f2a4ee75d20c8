"""Cited answers: retrieve, prompt a backend (or extract), verify citations, refuse plainly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .retrieval import Hit, Retriever

__all__ = [
    "Answer",
    "AnswerEvent",
    "Assistant",
    "Citation",
    "NoticeEvent",
    "SourcesEvent",
    "TextDelta",
]


@dataclass(frozen=True)
class Citation:
    """Passage ``n`` (1-based, as numbered in the prompt) cited by the answer."""

    n: int
    hit: Hit
    quote: str  # the span of the passage that best supports the citing sentence
    supported: bool

    def as_dict(self) -> dict[str, object]:
        hit = self.hit
        return {"n": self.n, "source": hit.source, "title": hit.title,
                "date": hit.date.isoformat() if hit.date else None, "kind": hit.kind,
                "author": hit.author, "quote": self.quote, "supported": self.supported}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    passages: tuple[Hit, ...] = ()  # what the answer was built from, numbered 1..n
    query: str = ""  # the standalone query used for retrieval
    backend: str = "extractive"
    notice: str | None = None  # e.g. why a configured model was not used
    unsupported: tuple[str, ...] = ()  # sentences whose citation did not check out
    first_token_s: float | None = None
    total_s: float | None = None

    def as_dict(self) -> dict[str, object]:
        """The public JSON shape (``ask --json``, the HTTP API)."""
        return {"answer": self.text, "refused": self.refused,
                "citations": [c.as_dict() for c in self.citations]}


@dataclass(frozen=True)
class SourcesEvent:
    """First event of a stream: the passages, before any text is written."""

    passages: tuple[Hit, ...]
    query: str


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class NoticeEvent:
    """Something the user should see, e.g. a fallback to the extractive backend."""

    message: str


@dataclass(frozen=True)
class AnswerEvent:
    """Last event of a stream."""

    answer: Answer


@dataclass
class Assistant:
    """Answers questions from a ``Retriever`` through a chat backend picked by a spec string."""

    retriever: Retriever
    backend: str = "extractive"
    k: int = 5
    _state: dict = field(default_factory=dict, repr=False)

    def ask(self, question: str, history: list[dict] | None = None, **options) -> Answer:
        raise NotImplementedError

    def stream(self, question: str, history: list[dict] | None = None, **options
               ) -> Iterator[SourcesEvent | TextDelta | NoticeEvent | AnswerEvent]:
        raise NotImplementedError
