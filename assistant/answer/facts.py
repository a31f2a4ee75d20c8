"""Whether a sentence holds the kind of fact a question asks for, under its constraints.

The reading stage (``reading``) asks ``holds`` of the sentences most relevant to a question
part: a number question wants a count that is not one of the question's own numbers or years
(next to the thing counted, when the question names it: "35 probation trusts"); a money
question an amount about the question's subject; a date question a date not merely of an
announcement ("the closure, announced in November 2015" does not date the closure); a
person or organisation question a name the question does not already hold; a question about
"recommendation 4" the number 4; a question about findings or recommendations a sentence that
reports some. (Whether a passage meets the question's names and dates is ``constraints``.)

These are wording tests, deliberately conservative: a sentence that fails them is not quoted
as the answer, and when none passes, the answer says what the archive does not state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import stems

__all__ = ["MONTHS", "YEAR", "Asked", "appears", "counts", "dates", "holds", "money", "names",
           "near_subject", "wanted_in"]


def _words(text: str) -> list[str]:
    return text.split()


MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec")
YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b")
_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\b\.?(?:\s+\d{{4}})?|"
                   rf"\b(?:{MONTHS})\.?\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?\d{{4}}\b|"
                   rf"\b(?:19[5-9]\d|20[0-4]\d)\b|"
                   r"\b(?:january|february|march|april|june|july|august|september|october|"
                   r"november|december)\b", re.I)
_NUMBER_WORDS = ("two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
                 "thirty|forty|fifty|sixty|hundred|hundreds|thousand|thousands|million|"
                 "millions|billion|half|dozen|dozens|quarter|third|thirds|double|twice|treble")
_COUNT = re.compile(rf"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?(?:%|per ?cent|percent|m|bn|k)\b|%)?|"
                    rf"\b(?:{_NUMBER_WORDS})\b", re.I)
_MONEY = re.compile(r"[£$€]\s?\d[\d,.]*(?:\s?(?:m|bn|k|million|billion|thousand)\b)?|"
                    r"\b\d[\d,.]*\s?(?:million|billion|thousand|m|bn|k)?\s?(?:pounds|euros|"
                    r"dollars)\b", re.I)
# A date that only dates an announcement, a plan or a publication: "the closure of HMP
# Holloway, announced in November 2015" says when it was announced, not when it closed.
_ANNOUNCED = re.compile(r"\b(?:announc|publish|propos|plann|promis|expect|predict|forecast|"
                        r"schedul|mooted|unveil)\w*\s+(?:in|on|for|by|at|during)?\s*"
                        r"(?:the\s+)?(?:\w+\s+)?$", re.I)
_NAME = re.compile(r"\b(?:[A-Z][a-z’'-]*[A-Z][A-Za-z]*|[A-Z]{2,}\d*|[A-Z][a-z’'-]+|"
                   r"[A-Z]\d[A-Z0-9]*)\b")
_NOT_NAMES = frozenset(_words(
    "I A The This That These Those It Its Their They He She We You Our My His Her There Here "
    "And But Or So If When Where What Which Who Why How In On At By For From To Of As With "
    "Not No Yes All Some Many Most One Two Three Mr Mrs Ms Dr Sir Lord Lady Today Yesterday "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May "
    "June July August September October November December Q OK"))
# "recommendation 4", "Tier 2", "paragraph 12": an item the question picks by its number
_NUMBERED = re.compile(r"\b(?:recommendations?|paragraphs?|paras?|clauses?|sections?|"
                       r"questions?|points?|items?|rules?|stages?|tiers?|options?|steps?|"
                       r"chapters?|annex|appendix|phases?|rounds?|articles?|parts?|"
                       r"principles?|objectives?|targets?|measures?|priorit(?:y|ies))\s+"
                       r"(\d{1,3}[a-z]?)\b", re.I)
# Nouns whose answer is what a document reports: the sentence must report some.
_REPORTED = {"find": ("find", "found"), "recommend": ("recommend",),
             "conclus": ("conclud", "conclus"), "conclud": ("conclud", "conclus")}
# Words of a number question that name the quantity itself ("what share …"): any count
# answers them, where "how many contracts" wants the count next to "contracts".
_QUANTITIES = frozenset(stems("share percentage proportion number amount fraction rate figure "
                              "total level size many much cost value sum count ratio "
                              "years months weeks days hours"))
_MONEY_WORDS = frozenset(stems("much money cost costs price budget salary pay paid fee fund "
                               "funding worth spend spent save saving savings value"))


@dataclass(frozen=True)
class Asked:
    """One question part as the detectors need it: what it ``wants`` (``question.WANTS``),
    its ``focus`` words and ``constraints``, and its own words (``text``)."""

    text: str
    wants: str
    focus: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()

    @property
    def own_numbers(self) -> set[str]:
        return {m.group(0).lower() for m in _COUNT.finditer(self.text)}

    @property
    def subject(self) -> set[str]:
        """The question's content stems that are not about quantity or money."""
        return stems(self.text) - _MONEY_WORDS - _QUANTITIES


def counts(sentence: str, asked: Asked | None = None) -> list[re.Match]:
    """Counts in ``sentence`` that are not years, dates, paragraph numbers or the question's
    own numbers."""
    own = asked.own_numbers if asked else set()
    blocked = [m.span() for m in _DATE.finditer(sentence)]
    found = []
    for match in _COUNT.finditer(sentence):
        start, end = match.span()
        if any(a <= start < b for a, b in blocked) or match.group(0).lower() in own:
            continue
        if start == 0 and sentence[end:end + 1] == ".":  # "12.The Ministry told us"
            continue
        if sentence[start - 1:start] == "[" and sentence[end:end + 1] == "]":  # a citation
            continue
        found.append(match)
    return found


def money(sentence: str) -> list[str]:
    return [m.group(0) for m in _MONEY.finditer(sentence)]


# Events whose dates answer each other's opposite: "it opened in April 2015" does not say
# when it closed.
_OPPOSITES = (("open", "clos"), ("start|began|begin|launch|introduc", "end|finish|stop|scrap|"
              "abolish|clos"), ("join", "left|leav"), ("hire|hired|appoint", "fire|sack|resign"))


def _opposite_event(before: str, question: str) -> bool:
    """Whether the words just before a date name the opposite of the question's event."""
    for one, other in _OPPOSITES:
        for asked, dated in ((one, other), (other, one)):
            if (re.search(rf"\b(?:{asked})\w*", question, re.I)
                    and not re.search(rf"\b(?:{dated})\w*", question, re.I)
                    and re.search(rf"\b(?:{dated})\w*\W+(?:\w+\W+){{0,2}}$", before, re.I)):
                return True
    return False


def dates(sentence: str, asked: Asked | None = None) -> list[str]:
    """Dates in ``sentence`` other than the question's own, and not merely the date of an
    announcement (unless the question asks about one) or of the opposite event."""
    own = {m.group(0).lower() for m in _DATE.finditer(asked.text)} if asked else set()
    question = asked.text if asked else ""
    about_announcing = bool(re.search(r"\bannounc|\bpublish|\bpropos|\bplan", question, re.I))
    found = []
    for match in _DATE.finditer(sentence):
        before = sentence[:match.start()][-40:]
        if match.group(0).lower() in own or _opposite_event(before, question):
            continue
        if re.search(r"\b(?:pre|post|mid)-$", before, re.I):  # "pre-2014 contracts": a
            continue  # period that qualifies a noun, not when something happened
        if not about_announcing and _ANNOUNCED.search(before):
            continue
        found.append(match.group(0))
    return found


_RUN = re.compile(rf"{_NAME.pattern}(?:\s+(?:(?:of|the|and|&|for|de|van|von)\s+)*"
                  rf"{_NAME.pattern})*")


def _bare(word: str) -> str:
    word = re.sub(r"[’']s?$", "", word)
    return word[:-1] if re.fullmatch(r"[A-Z]{2,}s", word) else word  # CRCs → CRC


def names(sentence: str, asked: Asked | None = None, *, first: bool = False) -> list[str]:
    """Names and acronyms in ``sentence`` (runs of capitalised words: "Rachel Reeves",
    "Ministry of Justice") that the question does not hold: a run all of whose words it
    holds, or whose initials spell one of its acronyms ("Community Rehabilitation Company"
    for "CRC"), is not new. A capitalised first word counts only in a longer run (or with
    ``first``: an answer's "Interserve leads …", where a passage's "Inspectors found …" is
    no name)."""
    text = asked.text if asked else ""
    own = {_bare(w).lower() for w in re.findall(r"[\w’'-]+", text)}
    acronyms = {_bare(a) for a in re.findall(r"\b[A-Z]{2,}s?\b", text)}
    found = []
    for match in _RUN.finditer(sentence):
        words = [_bare(w) for w in re.findall(r"[\w’'&-]+", match.group(0))
                 if w[:1].isupper()]
        new = [w for w in words if w not in _NOT_NAMES and w.lower() not in own and len(w) > 1]
        if not new or "".join(w[0] for w in words) in acronyms:
            continue
        if match.start() == 0 and len(words) < 2 and not first:
            continue
        if re.match(r"\s*\d", sentence[match.end():]):  # "Tier 2", "Q 76": a label
            continue
        found.append(" ".join(new))
    return found


def near_subject(sentence: str, found: str, asked: Asked, window: int = 4) -> bool:
    """Whether ``found`` (a name or count in ``sentence``) sits within ``window`` words of
    one of the question's subject words: "led by Interserve" for "who leads …"."""
    subject = asked.subject - set().union(*(stems(c) for c in asked.constraints))
    words = sentence.split()
    first = found.split()[0]
    at = [i for i, w in enumerate(words) if first in w]
    near = [i for i, w in enumerate(words) if stems(w) & subject]
    return any(abs(i - j) <= window for i in at for j in near)


_DURATION = re.compile(r"^\s*(?:-\s*\d+\s*)?(?:\w+\s+)?(?:years?|months?|weeks?|days?|hours?|"
                       r"minutes?|decades?|yrs?)\b", re.I)


def _count_next_to(sentence: str, asked: Asked) -> bool:
    """A count within five words before (or three after) the thing the question counts; for
    "how long", a count of years, months, weeks, days or hours."""
    if re.search(r"\bhow long\b", asked.text, re.I):
        return any(_DURATION.match(sentence[m.end():]) for m in counts(sentence, asked))
    head = stems(asked.focus[-1]) if asked.focus else set()
    if not head or head <= _QUANTITIES:
        return bool(counts(sentence, asked)) and bool(asked.subject & stems(sentence)
                                                      or not asked.subject)
    words = sentence.split()
    at = [i for i, w in enumerate(words) if stems(w) & head]
    for match in counts(sentence, asked):
        index = len(sentence[:match.start()].split())
        if any(i - 5 <= index <= i + 3 for i in at):
            return True
    return False


def holds(sentence: str, asked: Asked) -> bool:
    """Whether ``sentence`` holds the kind of fact ``asked`` wants (see the module doc)."""
    for number in _NUMBERED.findall(asked.text):
        if not re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", sentence):
            return False
    for noun, forms in _REPORTED.items():
        if any(stems(w) == {noun} for w in asked.focus) and not any(
                s.startswith(forms) for s in stems(sentence)):
            return False
    wants = asked.wants
    if wants == "number":
        return _count_next_to(sentence, asked)
    if wants == "money":
        return bool(money(sentence)) and bool(asked.subject & stems(sentence))
    if wants == "date":
        return bool(dates(sentence, asked))
    if wants in ("person", "organisation"):
        return bool(names(sentence, asked))
    return True


def wanted_in(sentence: str, asked: Asked) -> list[str]:
    """The facts of the wanted kind that ``sentence`` states (counts, amounts, dates, names):
    what a cited passage must hold for the sentence to answer."""
    if asked.wants == "number":
        return [m.group(0) for m in counts(sentence, asked)]
    if asked.wants == "money":
        return money(sentence)
    if asked.wants == "date":
        return dates(sentence, asked)
    if asked.wants in ("person", "organisation"):
        return names(sentence, asked, first=True)
    return []


_DIGIT_OF = {w: str(i) for i, w in enumerate(_words(
    "zero one two three four five six seven eight nine ten eleven twelve"))}


def appears(fact: str, text: str) -> bool:
    """Whether ``fact`` (as ``wanted_in`` found it in an answer) is in ``text``: numbers by
    their digits ("six" meets "6", "£12bn" meets "12bn"), names and dates as words."""
    low, fact = text.lower(), fact.lower().strip()
    digits = re.findall(r"\d+(?:[.,]\d+)*", fact)
    if digits:
        return all(re.search(rf"(?<![\d.,]){re.escape(d)}(?![\d])", low.replace(",", ""))
                   for d in (d.replace(",", "") for d in digits))
    if fact in _DIGIT_OF:
        return bool(re.search(rf"\b(?:{fact}|{_DIGIT_OF[fact]})\b", low))
    return bool(re.search(rf"(?<!\w){re.escape(fact)}(?!\w)", low))
