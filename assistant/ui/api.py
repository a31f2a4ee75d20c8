"""The page's endpoints for programs (``gradio_client``): ``/chat``, ``/search``, ``/ask``.

This is the "second HTTP API" beside ``assistant serve`` (REST, ``/v1``, MCP), kept because
the README documents ``Client(url).predict(question, api_name="/chat")`` and ``/search`` for
people who run only the page. It adds nothing of its own: ``/search`` takes the filters of
``serve.schemas.SearchFilters`` and returns ``Hit.as_dict()``, ``/ask`` returns
``Answer.as_dict()`` (the REST shapes), and ``/chat`` the answer with the references the
"copy as text" button gives. For anything more (history,
filters on answers, streaming, backends) use the REST service.

A failure reaches the client as ``gr.Error`` carrying the page's message (``human_error``),
so an unexpected exception says "Something went wrong (…)" and never its details; arguments
of the wrong type are refused by name (Gradio passes JSON values through untyped). ``/chat``
answers a failed question with the chat's own "Could not answer: …" text, as the page shows
it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import gradio as gr
from pydantic import TypeAdapter, ValidationError

from assistant.records import Answer, AnswerEvent
from assistant.search.retriever import MAX_K
from assistant.serve.schemas import SearchFilters
from assistant.ui.errors import human_error
from assistant.ui.messages import INCOMPLETE
from assistant.ui.render import answer_plain

__all__ = ["PageApi", "clear_errors"]

F = TypeVar("F", bound=Callable[..., Any])


def clear_errors(fn: F) -> F:
    """``fn`` as an endpoint: an error becomes ``gr.Error(human_error(error))``. The wrapper
    keeps ``fn``'s signature and type hints, from which ``gr.api`` derives the API schema."""

    @functools.wraps(fn)
    def endpoint(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # logged by human_error when unexpected
            raise gr.Error(human_error(exc), print_exception=False) from None

    return endpoint  # type: ignore[return-value]


def _text(value: Any, name: str) -> str:
    """A text argument as a program sent it. Gradio passes JSON values through untyped: a
    number reached the retriever as "the query is empty" and ``.strip()`` as an
    AttributeError ("Something went wrong"); now it is refused by name."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {type(value).__name__} {_shown(value)}")
    return value


def _count(value: Any) -> int:
    """``k`` as REST reads it (5, 5.0 and "5"); ``int()`` took 3.7 as 3 and failed on None
    with a TypeError."""
    try:
        return TypeAdapter(int).validate_python(value)
    except ValidationError:
        raise ValueError(f"k must be an integer from 1 to {MAX_K}, got {_shown(value)}") \
            from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _final(events: Iterable[Any]) -> Answer | None:
    """The stream's ``Answer``, or None if it ended without one."""
    answer = None
    for event in events:
        if isinstance(event, AnswerEvent):
            answer = event.answer
    return answer


class PageApi:
    """The endpoints, bound to one assistant; ``register`` adds them to the open Blocks."""

    def __init__(self, assistant: Any):
        self.assistant = assistant

    def register(self) -> None:
        gr.api(clear_errors(self.chat), api_name="chat")
        gr.api(clear_errors(self.search), api_name="search")
        gr.api(clear_errors(self.ask), api_name="ask")

    def chat(self, question: str) -> str:
        """Answer a question from the archive; returns the answer text with its references."""
        question = _text(question, "question").strip()
        if not question:
            return "Please ask a question."
        try:
            answer = _final(self.assistant.stream(question, history=[]))
            return INCOMPLETE if answer is None else answer_plain(answer)
        except Exception as exc:
            return f"Could not answer: {human_error(exc)}"

    def search(self, query: str, k: int = 5, since: str = "", until: str = "",
               kind: str = "both", author: str = "") -> list[dict]:
        """Retrieve passages: a list of hits (text, score, source, title, date, kind, author)."""
        filters = SearchFilters(since=since or None, until=until or None, kind=kind or None,
                                author=author or None)  # validated as REST's /search does
        hits = self.assistant.retriever.search(_text(query, "query"), k=_count(k),
                                               **filters.kwargs())
        return [h.as_dict() for h in hits]

    def ask(self, question: str) -> dict:
        """Answer a question; returns {answer, refused, citations} as JSON."""
        answer = _final(self.assistant.stream(_text(question, "question"), history=[]))
        if answer is None:
            raise gr.Error(INCOMPLETE)
        return answer.as_dict()
