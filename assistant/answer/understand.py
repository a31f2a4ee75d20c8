"""Question understanding: from a question and the conversation so far to the ``Query`` searched.

A follow-up ("and what did readers say about that?") becomes a standalone query. It is
searched with the conversation's salient terms added: the first name and number of the
last answer and of the passages it cited (what "she", "that many", "the same company" most
likely point at: ``_referents``) first, then the key words of the last question (those the
answer took up first) and a few of the one before (``rewrite_followup``). A model answering
gets the follow-up as written with the conversation within its prompt's history budget.
A separate model call rewriting the follow-up first was measured and dropped: with the
packaged model it cost 3.2 s more to the first word on each of the dev follow-ups, with
no better answers (keywords right in 3 of 6 with it, 4 of 6 without), and its rewrites,
searched, found the evidence for 4 of 6 against 6 of 6 for this heuristic ("twice that
many" became "more than six").

The standalone question is then read (``question.analyse``): what it asks, its parts, and
the filters its wording implies, applied unless the caller set that filter.

Implied filters in a conversation (``carried_filters``): an elliptical follow-up ("and
about pay?", "what about the blogger?", a question of a word or two) keeps the filters the
earlier question implied, except those it implies itself: "In 2019, what did readers say
about austerity?" → "and about pay?" searches 2019 comments, "and what did the blogger
say?" 2019 posts. A follow-up that is a question of its own ("What did she say Labour would
do?") starts afresh: the earlier scope may not be what it asks about. A date scope also
carries to a follow-up that points back at the time ("then", "that year").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from assistant.answer.implied import after_archive
from assistant.answer.prompts import normalize_history
from assistant.answer.question import QuestionShape, analyse
from assistant.records import ImpliedFilter
from assistant.text import content_words, stems

__all__ = ["FILTER_NAMES", "Query", "carried_filters", "effective_filters", "is_followup",
           "rewrite_followup", "salient_terms", "understand"]

FILTER_NAMES = ("since", "until", "kind", "author")
ANSWER_TERMS = 2  # of the last answer (and of its cited passages): a name and a number
QUESTION_TERMS = 4  # key words of the last question added (half as many of the one before)
CARRIED = " (earlier question)"  # added to a carried filter's phrase

_PRONOUNS = frozenset(["that", "it", "its", "they", "them", "their", "those", "this", "these",
                       "he", "she", "him", "his", "her", "there", "such", "same", "then"])
_FOLLOWUP_START = re.compile(r"^\s*(and|but|also|so|or|then|what about|how about|why|"
                             r"what else|anything else|more)\b", re.I)
_ELLIPTICAL = re.compile(r"^\s*(?:and|but|also|or|so|then|what about|how about|same for|"
                         r"what else|anything else)\b", re.I)
_BACK_IN_TIME = re.compile(r"\b(?:then|that year|the same year|at the time|that time|"
                           r"that month)\b", re.I)
_NAME = re.compile(r"(?<![\w’'])(?:[A-Z][\w’'&-]*[A-Z][\w’'&-]*|[A-Z][a-z’'-]+(?:\s+(?:of\s+"
                   r"(?:the\s+)?|de\s+|De\s+)?[A-Z][\w’'-]+)*)")
_NUMBER = re.compile(r"£?\d[\d,.]*%?(?:\s*(?:million|billion|m|bn|per cent))?|\b(?:one|two|"
                     r"three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                     r"hundred|thousand|half|double|twice)\b", re.I)
_CITATION = re.compile(r"\[\s*\d+(?:\s*[,;\-–]\s*\d+)*\s*\]")
_LONE_YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)\s*[\"“‘(]?$")
_NOT_NAMES = frozenset(["The", "This", "That", "These", "Those", "It", "Its", "They", "He",
                        "She", "His", "Her", "In", "On", "At", "An", "A", "And", "But", "So",
                        "According", "Yes", "No", "There", "What", "Who", "When", "Which",
                        "How", "Why", "Where", "I", "We", "You", "One", "Some", "All"])


@dataclass(frozen=True)
class Query:
    """A question as understood: ``text`` is searched (a follow-up with the conversation's
    salient terms added), ``asked`` the question as written (what is read and put to the
    model, with ``turns``, the earlier turns, as its history);
    ``shape`` is what it asks; ``filters`` the search filters in force (the caller's, and
    the implied ones the caller did not set); ``implied`` those of them read from the
    wording (or carried from the earlier question), shown to the user."""

    text: str
    asked: str
    turns: tuple[dict[str, str], ...] = ()
    shape: QuestionShape | None = None
    filters: Mapping[str, object] = field(default_factory=dict)
    implied: tuple = ()
    ends: date | None = None  # the archive's last date, when the question asks about later


def understand(question: str, history: Iterable | None, *,  # noqa: PLR0913 (keyword options)
               authors: Collection[str] = (), explicit: Mapping[str, object] | None = None,
               infer_filters: bool = True, today: date | None = None,
               span: tuple[date, date] | None = None) -> Query:
    """The standalone ``Query`` for ``question``, searched with the conversation's terms
    when it leans on ``history``, read, with its filters: ``explicit`` (the caller's; a
    value of None is "not set") merged with those the wording implies (``infer_filters``).
    ``authors``, ``today`` and ``span`` (the archive's first and last dates) help read
    implied filters."""
    turns = tuple(normalize_history(history))
    followup = bool(turns) and is_followup(question, turns)
    text = rewrite_followup(question, turns) if followup else question
    shape = analyse(question, authors, today=today, span=span)
    implied = shape.implied
    if followup:
        implied = carried_filters(question, turns, implied, authors)
    filters, applied = effective_filters(explicit or {}, implied if infer_filters else ())
    ends = span[1] if span and after_archive(question, today, span) else None
    return Query(text, question, turns, shape, filters, applied, ends)


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


# ---------------------------------------------------------------- follow-ups

def is_followup(question: str, history: Iterable | None) -> bool:
    """A question that leans on earlier turns: pronouns, a leading "and", or very short."""
    turns = normalize_history(history)
    if not any(t["role"] == "user" for t in turns):
        return False
    words = re.findall(r"[a-z']+", question.lower())
    return (bool(_FOLLOWUP_START.match(question))
            or any(w in _PRONOUNS for w in words)
            or len(content_words(question)) < 3)


def _is_elliptical(question: str) -> bool:
    """"And about pay?", "what about the blogger?", "why?", "pay?": it asks the earlier
    question again about something else, so the earlier scope still holds."""
    return bool(_ELLIPTICAL.match(question)) or len(question.split()) <= 2


def carried_filters(question: str, turns: Sequence[Mapping[str, str]],
                    own: Sequence[ImpliedFilter], authors: Collection[str] = ()
                    ) -> tuple[ImpliedFilter, ...]:
    """The follow-up's own implied filters, plus those of the earlier question it carries
    (see the module docstring); each earlier question's are worked out the same way, so a
    scope survives a chain of "and …?" turns."""
    users = [t["content"] for t in turns if t["role"] == "user"]
    if not users:
        return tuple(own)
    earlier: tuple[ImpliedFilter, ...] = analyse(users[0], authors).implied
    for previous, current in itertools.pairwise(users):
        mine = analyse(current, authors).implied
        earlier = _carry(current, mine, earlier) if is_followup(
            current, [{"role": "user", "content": previous}]) else mine
    return _carry(question, tuple(own), earlier)


def _carry(question: str, own: Sequence[ImpliedFilter], earlier: Sequence[ImpliedFilter]
           ) -> tuple[ImpliedFilter, ...]:
    elliptical = _is_elliptical(question)
    years = set(_LONE_YEAR.findall(question))
    if elliptical and len(years) == 1 and not any(f.name in ("since", "until") for f in own):
        year = years.pop()  # "what about 2020?" asks the earlier question of 2020
        own = (ImpliedFilter("since", f"{year}-01-01", year),
               ImpliedFilter("until", f"{year}-12-31", year), *own)
    back_in_time = bool(_BACK_IN_TIME.search(question))
    mine = {f.name for f in own}
    if mine & {"since", "until"}:
        mine |= {"since", "until"}  # a date of its own replaces the earlier range
    kept = [f for f in earlier if f.name not in mine and (
        elliptical or (back_in_time and f.name in ("since", "until")))]
    return (*own, *(f if f.phrase.endswith(CARRIED) else replace(f, phrase=f.phrase + CARRIED)
                    for f in kept))


def _names(text: str) -> list[str]:
    """Capitalised runs and acronyms, in order; a capitalised word opening a sentence counts
    only as part of a longer name."""
    found = []
    for match in _NAME.finditer(_CITATION.sub("", text)):  # "[1]" is no number of the answer's
        words = match.group(0).split()
        start = match.start()
        while words and words[0] in _NOT_NAMES:
            start += len(words.pop(0)) + 1
        if not words or (len(words) == 1 and _SENTENCE_START.search(text[:start])
                         and not words[0].isupper()):
            continue
        found.append(" ".join(words))
    return found


def salient_terms(text: str, limit: int = ANSWER_TERMS * 4) -> list[str]:
    """Names, acronyms, then numbers in ``text``, in order, each once: what a pronoun or
    "that many" in the next question most likely points at."""
    found = _names(text) + [m.group(0) for m in _NUMBER.finditer(_CITATION.sub("", text))]
    seen: set[str] = set()
    terms = []
    for term in found:
        key = term.lower().strip(".,")
        if key and key not in seen:
            seen.add(key)
            terms.append(term.strip(".,"))
    return terms[:limit]


def _referents(answer: str) -> list[str]:
    """What the next question's "she", "it" or "that many" most likely means: the answer's
    first name and first number. An answer opens with what was asked ("Marsha De Cordova,
    Labour's …", "An average of six …"); the names after it (titles, employers) are in the
    passage that answered, and searching them too leads back to that passage rather than
    to the new one the follow-up asks for (on the eval's follow-ups, every further name
    added ranked the gold passage lower)."""
    names = _names(answer)
    numbers = [m.group(0) for m in _NUMBER.finditer(_CITATION.sub("", answer))]
    return names[:1] + numbers[:1]


def rewrite_followup(question: str, history: Iterable | None,
                     max_terms: int = QUESTION_TERMS) -> str:
    """Heuristic standalone query: the follow-up, then in brackets the last answer's names
    and numbers (and its cited passages'), then key words of the earlier questions, newest
    first; words the follow-up already has are left out."""
    turns = normalize_history(history)
    if not is_followup(question, turns):
        return question
    have = set(content_words(question)) | stems(question)
    terms: list[str] = []

    def add(candidates: Iterable[str], limit: int) -> None:
        added = 0
        for term in candidates:
            words = content_words(term)
            if added >= limit or not words or all(w in have for w in words):
                continue
            terms.append(term)
            have.update(words)
            added += 1

    answer = turns[-1] if turns and turns[-1]["role"] == "assistant" else None
    if answer:
        add(_referents(answer["content"]), ANSWER_TERMS)
        add(_referents(answer.get("quotes", "")), ANSWER_TERMS)  # the cited passages'

    answered = stems(answer["content"]) if answer else set()
    for turn in reversed([t for t in turns if t["role"] == "user"][-2:]):
        words = content_words(turn["content"])
        # the words the answer took up ("subcontracted services") are the topic: first
        words.sort(key=lambda w: bool(stems(w) - answered))
        add(words, max_terms)
        max_terms //= 2  # the question before the last adds fewer words
    return f"{question.strip()} ({' '.join(terms)})" if terms else question
