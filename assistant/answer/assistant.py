"""Cited answers: understand the question, search, weigh the evidence, read, answer, verify.

``Assistant.stream`` reads as the pipeline: the question is understood (a follow-up becomes
a standalone query, ``understand``), searched (each part of a multi-part question on its
own as well, ``parts``), refused outright when the evidence is weak (``evidence``), else read
(``reading``: the sentences that answer each part, or the gap where the archive does not
say) and answered by one answerer, the extractive one (``extractive``, the reading composed)
or a chat model given the selected sentences, whose citations are verified (``model``); the
``Answer`` is built once, at the end.
It yields a ``SourcesEvent`` as soon as retrieval ends, then ``TextDelta``s (the raw model
stream), possibly ``NoticeEvent``s, and last an ``AnswerEvent`` whose ``Answer.text`` is
authoritative: invented citation numbers dropped and unsupported sentences marked
``[unverified]``. ``Assistant.ask`` consumes the stream and returns that ``Answer``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date

from assistant.answer.answerer import Answerer, Reply, Replying
from assistant.answer.citations import CitationVerifier
from assistant.answer.evidence import MIN_SENTENCE_SCORE, is_weak, refuse
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.model import ModelAnswerer, fallback_notice
from assistant.answer.parts import gather, plan
from assistant.answer.prompts import DEFAULT_MAX_PASSAGES
from assistant.answer.reading import Reading, read, with_lead_ins
from assistant.answer.understand import Query, understand
from assistant.llm.base import ChatBackend
from assistant.records import Answer, AnswerEvent, Event, Hit, SourcesEvent, TextDelta
from assistant.search.retriever import MAX_QUERY_CHARS, Retriever
from assistant.settings import Settings

__all__ = ["AskOptions", "Assistant"]

AUTHORS_READ = 5000  # signed names considered for an implied author filter, most frequent


@dataclass(frozen=True)
class AskOptions:
    """The options of one question: ``k`` passages (default ``Assistant.k``), the search
    filters, and the backend (a spec string or a ``ChatBackend``; default the assistant's)."""

    k: int | None = None
    since: str | date | None = None
    until: str | date | None = None
    kind: str | None = None
    author: str | None = None
    backend: str | ChatBackend | None = None
    infer_filters: bool = True  # apply the filters the wording implies (shown, removable)

    @classmethod
    def of(cls, options: Mapping[str, object]) -> AskOptions:
        """From keyword arguments; an unknown name is a TypeError that lists the known ones."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise TypeError(f"unknown option {', '.join(map(repr, unknown))}; "
                            f"the options are {', '.join(known)}")
        return cls(**options)

    def filters(self) -> dict[str, object]:
        return {"since": self.since, "until": self.until, "kind": self.kind,
                "author": self.author}


class Assistant:
    """Answers questions from a ``Retriever`` with a chat backend or extractively.

    ``backend`` is ``"extractive"``, a spec string (``"llamacpp"``, ``"openai:MODEL@URL"``)
    or a ``ChatBackend``; by default ``settings.backend`` (``ASSISTANT_BACKEND``). Models are
    resolved on first use; when one cannot be loaded or reached the answer is extractive and
    carries a notice saying why.
    """

    def __init__(  # noqa: PLR0913 (the public constructor, kept as it was)
            self, retriever: Retriever, backend=None, settings: Settings | None = None,
            k: int = 5, *, max_passages: int = DEFAULT_MAX_PASSAGES,
            min_sentence_score: float = MIN_SENTENCE_SCORE,
            verifier: CitationVerifier | None = None):
        self.retriever = retriever
        self.settings = settings or Settings.from_env()
        self.backend = backend if backend is not None else self.settings.backend
        self.k = k
        self.max_passages = max_passages
        self.min_sentence_score = min_sentence_score
        self.verifier = verifier or CitationVerifier(retriever.embedder)
        self._backends: dict[str, ChatBackend] = {}
        self._lock = threading.Lock()
        self._archive_facts: tuple[object, tuple] = (None, ((), None))

    def __repr__(self) -> str:
        return f"Assistant(backend={self.backend!r}, k={self.k})"

    # ------------------------------------------------------------ public API

    def ask(self, question: str, history: list | None = None, **options) -> Answer:
        """The final ``Answer`` (options as for ``stream``)."""
        answer = None
        for event in self.stream(question, history, **options):
            if isinstance(event, AnswerEvent):
                answer = event.answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: list | None = None, **options) -> Iterator[Event]:
        """Sources first, then text deltas, notices, and the final ``AnswerEvent``.

        ``options`` are those of ``AskOptions``: ``k``, ``since``, ``until``, ``kind``,
        ``author``, ``backend``. Bad input raises ``ValueError`` before the first event.
        """
        clock = _Clock()
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question is empty")
        question = question.strip()
        if len(question) > MAX_QUERY_CHARS:  # before reading it: a 1 MB question held the
            # MCP server's one thread for over 10 s in the question analysis
            raise ValueError(f"the question is too long ({len(question)} characters, "
                             f"limit {MAX_QUERY_CHARS})")
        request = AskOptions.of(options)
        k = self.k if request.k is None else request.k
        chat, notice = self.resolve_backend(request.backend)  # notice: why not the model
        query = self.understand(question, history, request)
        hits = self.retriever.search(query.text, k=k, **query.filters)
        partial = getattr(hits, "partial", None)  # a cluster's shards that did not answer
        if partial is not None:
            notice = f"{notice} {partial.message}" if notice else partial.message
        if is_weak(query.text, hits):  # refuse before any answerer runs
            events = refuse(query, hits, notice=notice, backend=(
                self.backend_name(request.backend) if chat else "extractive"))
        else:  # read, then extractive, or the model with its citations verified
            reading = self.read(query, hits, request, k)
            events = self._answerer(chat, request.backend, notice).stream(query, reading)
        reply = yield from clock.watch(events)
        yield AnswerEvent(replace(_answer(question, query, reply, clock), partial=partial))

    def understand(self, question: str, history: list | None = None,
                   request: AskOptions | None = None) -> Query:
        """``question`` as it is searched: made standalone from ``history``, with the
        caller's filters (``request``) and those its wording implies."""
        request = request or AskOptions()
        return understand(question, history, authors=self._authors(),
                          explicit=request.filters(), infer_filters=request.infer_filters,
                          today=date.today(), span=self._span())

    def read(self, query: Query, hits: Sequence[Hit], request: AskOptions, k: int) -> Reading:
        """The reading stage: each part of ``query`` (searched on its own when there are
        several) read from the passages for the sentences that answer it."""
        parts = plan(query, request.filters(), request.infer_filters)
        passages = with_lead_ins(self.retriever, gather(self.retriever, hits, parts, k))
        reading = read(query.text, passages, parts, self.verifier, self.min_sentence_score)
        return reading.after_end(query.ends) if query.ends else reading

    def _authors(self) -> tuple[str, ...]:
        """The names the archive is signed with (an implied author filter must name one),
        read once per index version: a GROUP BY over every chunk is too slow per question
        on a large archive."""
        return self._archive()[0]

    def _span(self) -> tuple[date, date] | None:
        """The archive's first and last dates ("last year", "in 2024" are read against it)."""
        return self._archive()[1]

    def _archive(self) -> tuple[tuple[str, ...], tuple[date, date] | None]:
        """The signed names and the date span of the index version searched now."""
        store = getattr(self.retriever, "store", None)
        if store is None or not hasattr(store, "authors"):
            return (), None
        key = getattr(store, "path", id(store))
        if self._archive_facts[0] != key:
            span = store.date_span() if hasattr(store, "date_span") else None
            dates = (date.fromisoformat(span[0][:10]), date.fromisoformat(span[1][:10])) \
                if span else None
            self._archive_facts = (key, (tuple(store.authors(AUTHORS_READ)), dates))
        return self._archive_facts[1]

    def weak_evidence(self, query: str, hits: Sequence[Hit]) -> bool:
        """Whether to refuse before answering: no hit is close enough to the query."""
        return is_weak(query, hits)

    # ------------------------------------------------------------ backends

    def resolve_backend(self, backend=None) -> tuple[ChatBackend | None, str | None]:
        """``(chat backend or None for extractive, notice)``; a bad spec raises ValueError."""
        from assistant.llm import BackendError, get_backend, parse_spec

        backend = self.backend if backend is None else backend
        if not isinstance(backend, str):
            return backend, None
        spec = backend.strip()
        if parse_spec(spec).kind == "extractive":
            return None, None
        with self._lock:
            if spec in self._backends:
                return self._backends[spec], None
            try:
                chat = get_backend(spec, self.settings)
            except BackendError as exc:
                return None, fallback_notice(str(exc))
            self._backends[spec] = chat
            return chat, None

    def backend_name(self, backend=None) -> str:
        backend = self.backend if backend is None else backend
        return backend.strip() if isinstance(backend, str) else getattr(backend, "name", "?")

    def _answerer(self, chat: ChatBackend | None, backend, notice: str | None) -> Answerer:
        """The extractive answerer, or the model answerer falling back to it."""
        extractive = ExtractiveAnswerer(self.verifier, notice)
        if chat is None:
            return extractive
        return ModelAnswerer(chat, self.backend_name(backend), self.verifier, extractive,
                             self.max_passages)


class _Clock:
    """Times one answer: from the call to its sources, to its first text, to the end."""

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self.retrieval_s: float | None = None
        self.first_token_s: float | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    def watch(self, events: Replying) -> Replying:
        """Pass ``events`` on, noting when the sources and the first text went by."""
        with contextlib.closing(events):  # a consumer that stops early stops the model too
            while True:
                try:
                    event = next(events)
                except StopIteration as done:
                    return done.value
                if isinstance(event, SourcesEvent) and self.retrieval_s is None:
                    self.retrieval_s = self.elapsed()
                elif isinstance(event, TextDelta) and self.first_token_s is None:
                    self.first_token_s = self.elapsed()
                yield event


def _answer(question: str, query: Query, reply: Reply, clock: _Clock) -> Answer:
    """The ``Answer``: the reply, with the question, the query searched and the times."""
    return Answer(question=question, text=reply.text, refused=reply.refused,
                  citations=reply.citations, passages=reply.passages, query=query.text,
                  backend=reply.backend, notice=reply.notice, unsupported=reply.unsupported,
                  repaired=reply.repaired, draft=reply.draft, implied=query.implied,
                  gaps=reply.gaps, usage=reply.usage,
                  first_token_s=clock.first_token_s, total_s=clock.elapsed(),
                  retrieval_s=clock.retrieval_s)
