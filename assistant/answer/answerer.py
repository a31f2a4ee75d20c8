"""What every answering strategy shares: the ``Answerer`` protocol, its ``Reply``, the refusal.

An answerer (``ExtractiveAnswerer``, ``ModelAnswerer``) streams the events of one answer,
``SourcesEvent`` first, then ``TextDelta``s and ``NoticeEvent``s, and returns a ``Reply``:
what it concluded. The ``Assistant`` times the stream and turns the reply into the one
``Answer`` of the final ``AnswerEvent``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.answer.prompts import REFUSAL_TEXT
from assistant.answer.reading import Reading
from assistant.answer.understand import Query
from assistant.records import Citation, Event, Hit, TokenUsage

__all__ = ["REFUSAL_MESSAGE", "Answerer", "Reply", "Replying", "refusal"]

REFUSAL_MESSAGE = f"{REFUSAL_TEXT} Nothing in the posts or comments answers this question."


@dataclass(frozen=True)
class Reply:
    """An answerer's conclusion: the ``Answer`` without the question and the timings."""

    text: str
    refused: bool
    passages: tuple[Hit, ...]  # what the reply was built from, numbered 1..n
    citations: tuple[Citation, ...] = ()
    unsupported: tuple[str, ...] = ()  # sentences whose citation did not check out
    repaired: tuple[str, ...] = ()  # sentences whose citation was moved to the right passage
    backend: str = "extractive"
    notice: str | None = None
    draft: str = ""  # the model's unchecked text, when a model wrote one
    gaps: tuple[str, ...] = ()  # what was asked that the passages do not state
    usage: TokenUsage | None = None  # the model's tokens, when its backend counted them


Replying = Generator[Event, None, Reply]
"""An answerer's stream: events, and the ``Reply`` as the generator's return value."""


class Answerer(Protocol):
    """One answering strategy over the reading stage's evidence."""

    def stream(self, query: Query, reading: Reading) -> Replying:
        """Events of the answer to ``query`` from ``reading`` (its passages, and the sentences
        that answer each part), ``SourcesEvent`` first; returns the ``Reply``."""
        ...


def refusal(passages: Sequence[Hit], *, backend: str = "extractive",
            notice: str | None = None, draft: str = "") -> Reply:
    """The refusal: the archive does not answer; ``passages`` are offered as closest matches."""
    return Reply(REFUSAL_MESSAGE, True, tuple(passages), backend=backend, notice=notice,
                 draft=draft)
