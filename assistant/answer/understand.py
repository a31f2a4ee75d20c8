"""Question understanding: from a question and the conversation so far to the ``Query`` searched.

A follow-up ("and what did readers say about that?") is rewritten as a standalone question:
by the chat model when one is loaded, else by adding the previous question's key terms.
The standalone question is then read (``question.analyse``): what it asks, its parts, and
the filters its wording implies, which are applied unless the caller set that filter.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from assistant.answer.prompts import normalize_history, rewrite_messages
from assistant.answer.question import QuestionShape, analyse
from assistant.llm.base import BackendError, ChatBackend
from assistant.text import content_words

__all__ = ["FILTER_NAMES", "Query", "effective_filters", "is_followup", "rewrite_followup",
           "understand"]

FILTER_NAMES = ("since", "until", "kind", "author")

_PRONOUNS = frozenset(["that", "it", "its", "they", "them", "their", "those", "this", "these",
                       "he", "she", "him", "his", "her", "there", "such", "same"])
_FOLLOWUP_START = re.compile(r"^\s*(and|but|also|so|or|then|what about|how about|why|"
                             r"what else|anything else|more)\b", re.I)


@dataclass(frozen=True)
class Query:
    """A question as understood: ``text`` is searched, ``asked`` is put to the model (the
    model's own rewrite, else the question as written), ``turns`` are the earlier turns;
    ``shape`` is what it asks; ``filters`` the search filters in force (the caller's, and
    the implied ones the caller did not set); ``implied`` those of them read from the
    wording, shown to the user."""

    text: str
    asked: str
    turns: tuple[dict[str, str], ...] = ()
    shape: QuestionShape | None = None
    filters: Mapping[str, object] = field(default_factory=dict)
    implied: tuple = ()


def understand(question: str, history: Iterable | None, chat: ChatBackend | None = None, *,
               authors: Collection[str] = (), explicit: Mapping[str, object] | None = None,
               infer_filters: bool = True) -> Query:
    """The standalone ``Query`` for ``question``, rewritten when it leans on ``history``,
    read, with its filters: ``explicit`` (the caller's; a value of None is "not set")
    merged with those the wording implies (``infer_filters``)."""
    turns = tuple(normalize_history(history))
    text, asked = question, question
    if turns and is_followup(question, turns):
        rewritten = _model_rewrite(question, turns, chat)
        text, asked = ((rewritten, rewritten) if rewritten
                       else (rewrite_followup(question, turns), question))
    shape = analyse(asked, authors)  # the words the user (or the model's rewrite) wrote
    implied = shape.implied if infer_filters else ()
    filters, applied = effective_filters(explicit or {}, implied)
    return Query(text, asked, turns, shape, filters, applied)


def effective_filters(explicit: Mapping[str, object], implied: Iterable
                      ) -> tuple[dict[str, object], tuple]:
    """``(filters, implied applied)``: every filter the caller set (even to "" or "all",
    which mean "no restriction") wins over the wording; a caller's date bound overrides
    both implied bounds, since a range is set as one."""
    filters = {name: explicit.get(name) for name in FILTER_NAMES}
    dates_set = filters["since"] is not None or filters["until"] is not None
    applied = []
    for item in implied:
        if filters.get(item.name) is not None or (item.name in ("since", "until")
                                                   and dates_set):
            continue
        filters[item.name] = item.value
        applied.append(item)
    return filters, tuple(applied)


def _model_rewrite(question: str, turns: tuple[dict[str, str], ...],
                   chat: ChatBackend | None) -> str | None:
    """The model's standalone question; None when no model is loaded yet (the heuristic
    rewrites then) or when its reply is unusable."""
    if chat is None or not getattr(chat, "loaded", True):
        return None
    try:
        text = "".join(chat.stream(rewrite_messages(question, turns), max_tokens=60,
                                   temperature=0.0)).strip()
    except BackendError:
        return None
    line = text.splitlines()[0].strip().strip('"') if text else ""
    return line if 3 <= len(line) <= 400 and content_words(line) else None


def is_followup(question: str, history: Iterable | None) -> bool:
    """A question that leans on earlier turns: pronouns, a leading "and", or very short."""
    turns = normalize_history(history)
    if not any(t["role"] == "user" for t in turns):
        return False
    words = re.findall(r"[a-z']+", question.lower())
    return (bool(_FOLLOWUP_START.match(question))
            or any(w in _PRONOUNS for w in words)
            or len(content_words(question)) < 3)


def rewrite_followup(question: str, history: Iterable | None, max_terms: int = 8) -> str:
    """Heuristic standalone query: a follow-up plus key terms of the previous user turn."""
    if not is_followup(question, history):
        return question
    previous = next(t["content"] for t in reversed(normalize_history(history))
                    if t["role"] == "user")
    have = set(content_words(question))
    terms = list(dict.fromkeys(w for w in content_words(previous) if w not in have))
    terms = terms[:max_terms]
    return f"{question.strip()} ({' '.join(terms)})" if terms else question
