"""Question understanding: from a question and the conversation so far to the ``Query`` searched.

A follow-up ("and what did readers say about that?") is rewritten as a standalone question:
by the chat model when one is loaded, else by adding the previous question's key terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.answer.prompts import normalize_history, rewrite_messages
from assistant.llm.base import BackendError, ChatBackend
from assistant.text import content_words

__all__ = ["Query", "is_followup", "rewrite_followup", "understand"]

_PRONOUNS = frozenset(["that", "it", "its", "they", "them", "their", "those", "this", "these",
                       "he", "she", "him", "his", "her", "there", "such", "same"])
_FOLLOWUP_START = re.compile(r"^\s*(and|but|also|so|or|then|what about|how about|why|"
                             r"what else|anything else|more)\b", re.I)


@dataclass(frozen=True)
class Query:
    """A question as understood: ``text`` is searched, ``asked`` is put to the model (the
    model's own rewrite, else the question as written), ``turns`` are the earlier turns."""

    text: str
    asked: str
    turns: tuple[dict[str, str], ...] = ()


def understand(question: str, history: Iterable | None,
               chat: ChatBackend | None = None) -> Query:
    """The standalone ``Query`` for ``question``, rewritten when it leans on ``history``."""
    turns = tuple(normalize_history(history))
    if not turns or not is_followup(question, turns):
        return Query(question, question, turns)
    rewritten = _model_rewrite(question, turns, chat)
    if rewritten:
        return Query(rewritten, rewritten, turns)
    return Query(rewrite_followup(question, turns), question, turns)


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
