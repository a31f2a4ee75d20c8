"""When to refuse: the evidence thresholds, measured on the dev set, and the early refusal.

The ``Assistant`` refuses before any answerer runs when no hit is close enough to the query
(``is_weak``); the reading stage (``reading``) calls a question off-topic, and it is
refused plainly too, when its best sentence scores below ``MIN_SENTENCE_SCORE``.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.answerer import REFUSAL_MESSAGE, Replying, refusal
from assistant.answer.reading import MIN_SENTENCE_SCORE  # the reading stage's own floor
from assistant.answer.understand import Query
from assistant.records import Hit, NoticeEvent, SourcesEvent, TextDelta
from assistant.text import content_words

__all__ = [
    "DENSE_OK",
    "MIN_COVERAGE",
    "MIN_DENSE",
    "MIN_SENTENCE_SCORE",
    "evidence",
    "is_weak",
    "refuse",
]

# Refusal thresholds, chosen on shared/eval/dev.jsonl (answerable questions: best cosine
# >= 0.35, or all content words found as for an acronym question at 0.25; unanswerable ones:
# cosine <= 0.24 and at most half their content words found), with room for unseen questions.
MIN_DENSE = 0.12  # below this best cosine: always refuse
DENSE_OK = 0.30  # at or above: the evidence is strong enough to try an answer
MIN_COVERAGE = 0.75  # in between: a passage must hold this share of the query's words


def evidence(query: str, hits: Sequence[Hit]) -> tuple[float, float]:
    """``(best cosine, best share of the query's content words found in one passage)``."""
    words = set(content_words(query))
    coverage = 0.0
    for hit in hits:
        found = set(content_words(f"{hit.title} {hit.text}"))
        coverage = max(coverage, len(words & found) / len(words) if words else 0.0)
    return max((h.dense_score for h in hits), default=0.0), coverage


def is_weak(query: str, hits: Sequence[Hit]) -> bool:
    """Whether to refuse before answering: no hit is close enough to the query."""
    if not hits:
        return True
    dense, coverage = evidence(query, hits)
    return dense < MIN_DENSE or (dense < DENSE_OK and coverage < MIN_COVERAGE)


def refuse(query: Query, hits: Sequence[Hit], *, backend: str = "extractive",
           notice: str | None = None) -> Replying:
    """The refusal for weak evidence, streamed: every hit offered as a closest match."""
    yield SourcesEvent(tuple(hits), query.text)
    if notice:
        yield NoticeEvent(notice)
    yield TextDelta(REFUSAL_MESSAGE)
    return refusal(hits, backend=backend, notice=notice)
