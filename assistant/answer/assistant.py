"""Cited answers: retrieve, prompt a backend (or extract), verify citations, refuse plainly.

``Assistant.stream`` yields a ``SourcesEvent`` as soon as retrieval ends, then ``TextDelta``s
(the raw model stream), possibly ``NoticeEvent``s, and last an ``AnswerEvent`` whose
``Answer.text`` is authoritative: invented citation numbers dropped and unsupported sentences
marked ``[unverified]``. ``Assistant.ask`` consumes the stream and returns that ``Answer``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

from assistant.answer.citations import (
    CitationVerifier,
    Verification,
    looks_like_refusal,
    strip_markers,
)
from assistant.answer.extractive import extract, render
from assistant.answer.prompts import (
    DEFAULT_MAX_PASSAGES,
    REFUSAL_TEXT,
    build_prompt,
    is_followup,
    normalize_history,
    rewrite_followup,
    rewrite_messages,
)
from assistant.records import (
    Answer,
    AnswerEvent,
    Citation,
    Event,
    Hit,
    NoticeEvent,
    SourcesEvent,
    TextDelta,
)
from assistant.search.retriever import Retriever
from assistant.settings import Settings
from assistant.text import content_words

__all__ = [
    "DENSE_OK",
    "MIN_COVERAGE",
    "MIN_DENSE",
    "MIN_SENTENCE_SCORE",
    "REFUSAL_MESSAGE",
    "Assistant",
]


# Refusal thresholds, chosen on shared/eval/dev.jsonl (answerable questions: best cosine
# >= 0.35, or all content words found as for an acronym question at 0.25; unanswerable ones:
# cosine <= 0.24 and at most half their content words found), with room for unseen questions.
MIN_DENSE = 0.12  # below this best cosine: always refuse
DENSE_OK = 0.30  # at or above: the evidence is strong enough to try an answer
MIN_COVERAGE = 0.75  # in between: a passage must hold this share of the query's words
# The extractive backend also refuses when its best sentence scores below this
# (cosine + 0.5 * (word coverage + answer-type bonus)): dev answerable >= 0.71,
# dev unanswerable <= 0.38.
MIN_SENTENCE_SCORE = 0.6
REFUSAL_MESSAGE = f"{REFUSAL_TEXT} Nothing in the posts or comments answers this question."


def evidence(query: str, hits: Sequence[Hit]) -> tuple[float, float]:
    """``(best cosine, best share of the query's content words found in one passage)``."""
    words = set(content_words(query))
    coverage = 0.0
    for hit in hits:
        found = set(content_words(f"{hit.title} {hit.text}"))
        coverage = max(coverage, len(words & found) / len(words) if words else 0.0)
    return max((h.dense_score for h in hits), default=0.0), coverage


def _fallback_notice(reason: str) -> str:
    return f"{reason.rstrip().rstrip('.')}; answered extractively instead."


class Assistant:
    """Answers questions from a ``Retriever`` with a chat backend or extractively.

    ``backend`` is ``"extractive"``, a spec string (``"llamacpp"``, ``"openai:MODEL@URL"``)
    or a ``ChatBackend``; by default ``settings.backend`` (``ASSISTANT_BACKEND``). Models are
    resolved on first use; when one cannot be loaded or reached the answer is extractive and
    carries a notice saying why.
    """

    def __init__(self, retriever: Retriever, backend=None, settings: Settings | None = None,
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
        self._backends: dict[str, object] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Assistant(backend={self.backend!r}, k={self.k})"

    # ------------------------------------------------------------ backends

    def resolve_backend(self, backend=None):
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
                return None, _fallback_notice(str(exc))
            self._backends[spec] = chat
            return chat, None

    def backend_name(self, backend=None) -> str:
        backend = self.backend if backend is None else backend
        return backend.strip() if isinstance(backend, str) else getattr(backend, "name", "?")

    # ------------------------------------------------------------ public API

    def ask(self, question: str, history: list | None = None, **options) -> Answer:
        """The final ``Answer`` (options as for ``stream``)."""
        answer = None
        for event in self.stream(question, history, **options):
            if isinstance(event, AnswerEvent):
                answer = event.answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: list | None = None, *, k: int | None = None,
               since=None, until=None, kind: str | None = None, author: str | None = None,
               backend=None) -> Iterator[Event]:
        """Sources first, then text deltas, notices, and the final ``AnswerEvent``."""
        start = time.perf_counter()
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question is empty")
        question = question.strip()
        k = self.k if k is None else k
        chat, notice = self.resolve_backend(backend)
        turns = normalize_history(history)
        query, model_rewrote = question, False
        if turns and is_followup(question, turns):
            query, model_rewrote = self._standalone(question, turns, chat)
        hits = self.retriever.search(query, k=k, since=since, until=until, kind=kind,
                                     author=author)
        base = {"question": question, "query": query,
                "backend": self.backend_name(backend) if chat else "extractive",
                "notice": notice}

        def elapsed() -> float:
            return time.perf_counter() - start

        if self.weak_evidence(query, hits):
            yield SourcesEvent(tuple(hits), query)
            retrieval_s = elapsed()
            if notice:
                yield NoticeEvent(notice)
            yield TextDelta(REFUSAL_MESSAGE)
            first = elapsed()
            yield AnswerEvent(Answer(text=REFUSAL_MESSAGE, refused=True, passages=tuple(hits),
                                     first_token_s=first, total_s=elapsed(),
                                     retrieval_s=retrieval_s, **base))
            return

        if chat is None:
            passages = tuple(hits[:k])
            yield SourcesEvent(passages, query)
            retrieval_s = elapsed()
            if notice:
                yield NoticeEvent(notice)
            yield from self._extractive(query, passages, base, start, retrieval_s)
            return

        asked = query if model_rewrote else question
        prompt = build_prompt(asked, hits, turns, context_length=chat.context_length,
                              max_passages=min(self.max_passages, k))
        passages = prompt.passages
        yield SourcesEvent(passages, query)
        retrieval_s = elapsed()
        parts: list[str] = []
        first: float | None = None
        failure: str | None = None
        from assistant.llm import BackendError, StreamInterrupted

        deltas = chat.stream(prompt.messages, max_tokens=prompt.max_tokens, temperature=0.1)
        try:
            for delta in deltas:
                if first is None:
                    first = elapsed()
                parts.append(delta)
                yield TextDelta(delta)
        except StreamInterrupted as exc:
            if not parts and exc.partial:
                parts.append(exc.partial)
            failure = str(exc)
        except BackendError as exc:
            failure = str(exc)
        finally:
            close = getattr(deltas, "close", None)
            if close:
                close()
        raw = "".join(parts).strip()
        base["draft"] = raw
        if failure and not raw:
            base["notice"] = _fallback_notice(failure)
            base["backend"] = "extractive"
            yield NoticeEvent(base["notice"])
            yield from self._extractive(query, passages, base, start, retrieval_s)
            return
        if failure:
            base["notice"] = f"The answer was cut off: {failure}"
            yield NoticeEvent(base["notice"])

        checked = self.verifier.verify(raw, passages)
        supported = any(s.supported for _, sups in checked.sentences for s in sups)
        if not supported and (looks_like_refusal(raw) or not raw):
            yield AnswerEvent(Answer(text=REFUSAL_MESSAGE, refused=True, passages=tuple(hits),
                                     first_token_s=first, total_s=elapsed(),
                                     retrieval_s=retrieval_s, **base))
            return
        if not supported:
            base["notice"] = ("The model's answer cited nothing the passages support, so it "
                              "was replaced by sentences extracted from them.")
            base["backend"] = "extractive"
            yield NoticeEvent(base["notice"])
            yield from self._extractive(query, passages, base, start, retrieval_s, first)
            return
        yield AnswerEvent(self._answer(checked, passages, base, first, elapsed(),
                                       retrieval_s))

    def weak_evidence(self, query: str, hits: Sequence[Hit]) -> bool:
        """Whether to refuse before answering: no hit is close enough to the query."""
        if not hits:
            return True
        dense, coverage = evidence(query, hits)
        return dense < MIN_DENSE or (dense < DENSE_OK and coverage < MIN_COVERAGE)

    # ------------------------------------------------------------ internals

    def _standalone(self, question: str, turns: list[dict], chat) -> tuple[str, bool]:
        """A standalone query: rewritten by a loaded model, else by the heuristic."""
        from assistant.llm import BackendError

        if chat is not None and getattr(chat, "loaded", True):
            try:
                text = "".join(chat.stream(rewrite_messages(question, turns), max_tokens=60,
                                           temperature=0.0)).strip()
            except BackendError:
                text = ""
            line = text.splitlines()[0].strip().strip('"') if text else ""
            if 3 <= len(line) <= 400 and content_words(line):
                return line, True
        return rewrite_followup(question, turns), False

    def _extractive(self, query: str, passages: Sequence[Hit], base: dict, start: float,
                    retrieval_s: float, first: float | None = None) -> Iterator[Event]:
        """The extractive answer (or refusal) over ``passages``, numbered as sent."""
        passages = tuple(passages)
        chosen = extract(query, passages, self.verifier)
        if not chosen or chosen[0].score < self.min_sentence_score:
            text = REFUSAL_MESSAGE
            yield TextDelta(text)
            first = first if first is not None else time.perf_counter() - start
            yield AnswerEvent(Answer(text=text, refused=True, passages=passages,
                                     first_token_s=first, total_s=time.perf_counter() - start,
                                     retrieval_s=retrieval_s, **base))
            return
        text = render(chosen)
        yield TextDelta(text)
        first = first if first is not None else time.perf_counter() - start
        citations = tuple(Citation(c.n, passages[c.n - 1], c.cited, True, c.text)
                          for c in chosen)
        yield AnswerEvent(Answer(text=text, refused=False, citations=citations,
                                 passages=passages, first_token_s=first,
                                 total_s=time.perf_counter() - start, retrieval_s=retrieval_s,
                                 **base))

    @staticmethod
    def _answer(checked: Verification, passages: Sequence[Hit], base: dict,
                first: float | None, total: float, retrieval_s: float) -> Answer:
        citations = tuple(Citation(s.n, passages[s.n - 1], s.quote, s.supported,
                                   strip_markers(sentence))
                          for sentence, supports in checked.sentences for s in supports)
        return Answer(text=checked.text, refused=False, citations=citations,
                      passages=tuple(passages), unsupported=checked.unsupported,
                      repaired=checked.repaired,
                      first_token_s=first, total_s=total, retrieval_s=retrieval_s, **base)
