"""The page's endpoints for programs (``gradio_client``): ``/chat``, ``/search``, ``/ask``.

This is the "second HTTP API" beside ``assistant serve`` (REST, ``/v1``, MCP), kept because
the README documents ``Client(url).predict(question, api_name="/chat")`` and ``/search`` for
people who run only the page. It adds nothing of its own: ``/search`` takes the filters of
``serve.schemas.SearchFilters`` and returns ``Hit.as_dict()``, ``/ask`` returns
``Answer.as_dict()`` (the REST shapes), and ``/chat`` the answer with the references the
"copy as text" button gives. For anything more (history,
filters on answers, streaming, backends) use the REST service.

A failure reaches the client as ``gr.Error`` carrying the page's message (``human_error``):
with ``show_error=False`` (no tracebacks to visitors, ``page.launch_options``) any other
exception arrives as a bare "AppError" that says nothing. ``/chat`` answers a failed
question with the chat's own "Could not answer: …" text, as the page shows it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import gradio as gr

from assistant.records import Answer, AnswerEvent
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
        question = (question or "").strip()
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
        hits = self.assistant.retriever.search(query, k=int(k), **filters.kwargs())
        return [h.as_dict() for h in hits]

    def ask(self, question: str) -> dict:
        """Answer a question; returns {answer, refused, citations} as JSON."""
        answer = _final(self.assistant.stream(question, history=[]))
        if answer is None:
            raise gr.Error(INCOMPLETE)
        return answer.as_dict()
