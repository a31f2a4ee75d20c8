"""Whether a passage meets a question's constraints: the names, dates, numbers and quoted
phrases it is pinned to (``question.QuestionShape.constraints``).

``fit`` is the share a passage meets in its text, title, author or date ("September 2016"
is met by a post of 29 September 2016); a year the passage neither carries nor mentions
fails it outright. ``mentioned`` is the share a sentence names itself. Names are compared
without possessives ("Clinks'" meets "Clinks"), a many-word name also word by word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.facts import MONTHS, YEAR
from assistant.records import Hit
from assistant.text import content_words

__all__ = ["fit", "mentioned"]


def _norm(text: str) -> str:
    """Lower case, possessives dropped: "Clinks'" and "Howard League's" meet their names."""
    return re.sub(r"(?<=\w)[’'](?:s\b)?", "", text.lower())


def _met(constraint: str, haystack: str, hit: Hit | None) -> bool:
    value = _norm(constraint).strip()
    if not value:
        return True
    year = YEAR.search(value)
    if year and hit is not None and hit.date is not None and hit.date.year == int(year.group(0)):
        month = re.match(rf"({MONTHS})", value)
        return not month or f"{hit.date:%B}".lower().startswith(month.group(1)[:3])
    if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", haystack):
        return True
    words = content_words(value)
    return len(words) > 1 and all(re.search(rf"\b{re.escape(w)}", haystack) for w in words)


def mentioned(constraints: Sequence[str], text: str) -> float:
    """The share of ``constraints`` that ``text`` itself names (0.0 when there are none)."""
    if not constraints:
        return 0.0
    haystack = _norm(text)
    return sum(_met(c, haystack, None) for c in constraints) / len(constraints)


def fit(constraints: Sequence[str], hit: Hit, sentence: str = "") -> float:
    """The share of ``constraints`` that ``hit`` meets (text, title, author, date); 1.0 when
    there are none, and 0.0 when it misses a year the question names: "in 2012" is not met
    by a 2019 post that never mentions 2012, whatever else it shares."""
    if not constraints:
        return 1.0
    haystack = _norm(" ".join((sentence, hit.text, hit.title, hit.author or "")))
    met = [_met(c, haystack, hit) for c in constraints]
    if any(not ok and YEAR.search(c) for c, ok in zip(constraints, met, strict=True)):
        return 0.0
    return sum(met) / len(constraints)
