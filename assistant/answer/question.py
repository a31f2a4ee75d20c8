"""What a question asks: the kind of answer, the words it is about, the facts it names, its
parts, and the search filters its wording implies.

``analyse`` reads one standalone question (``understand`` has already resolved a
follow-up). Everything here is wording, not evidence: the reading stage then looks for
sentences that hold ``wants`` about ``focus`` under ``constraints``, per part.

Implied filters (``implied``) are only taken where the wording scopes the whole question:
"In 2019, what did readers say …" restricts to 2019 and to comments, but "how many were
started in 2006, according to …" names a year the answer is about (a constraint, not a
filter), and a question naming two years or both posts and readers implies neither. A
compound question implies what every part implies; each part's own are in
``part_implied`` ("In 2014, … and what did David Raho say in 2016 …").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from assistant.answer.implied import DATE_FILTERS, implied_filters, leading_scope
from assistant.records import ImpliedFilter
from assistant.text import content_words

__all__ = ["WANTS", "QuestionShape", "analyse", "answer_kind", "implied_filters", "split_parts"]

WANTS = ("number", "money", "date", "person", "organisation", "yesno", "list", "explanation")

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december")
_MONEY_Q = re.compile(r"\bhow much (?:money|did|does|was|were|is|will|would|had|has|cash)\b|"
                      r"\b(?:cost|price|budget|salary|pay|paid|fee|fund(?:ing)?|worth|spend|"
                      r"spent|save|saving|savings)\b.*\bhow much\b|\bhow much\b.*\b(?:cost|"
                      r"price|budget|salary|paid|fee|fund(?:ing|ed)?|worth|spen[dt]|save|"
                      r"saving|savings)\b|\bwhat (?:was|is|were) the (?:cost|price|budget|"
                      r"salary|value|fee)\b|\bhow much of (?:a |the )?(?:budget|money|cash)\b",
                      re.I)
_NUMBER_Q = re.compile(r"\bhow (?:many|much|long|often|big|small|large|old|far|high|low)\b|"
                       r"\bwhat (?:\w+ )?(?:share|percentage|proportion|number|amount|fraction|"
                       r"rates?|figures?|total)\b", re.I)
_DATE_Q = re.compile(r"^(?:and |but |so )?when\b|\bwhat (?:date|year|month|day)\b|"
                     r"\bwhich (?:date|year|month|day)\b|\bhow long ago\b|\bsince when\b", re.I)
_PERSON_Q = re.compile(r"^(?:and |but |so )?(?:who|whose|whom)\b|\bwhich (?:person|people|"
                       r"minister|mp|mps|official|officer|chair|chief|director|secretary|"
                       r"reader|commenter|blogger|writer|author|spokesperson|judge|inspector|"
                       r"member|members|politician|frontbencher)\b|"
                       r"\bwhat (?:is|was) (?:the name|his name|her name)\b", re.I)
_ORG_Q = re.compile(r"\bwhich (?:company|companies|firm|firms|organisation|organisations|"
                    r"organization|organizations|union|unions|charity|charities|provider|"
                    r"providers|crc|crcs|trust|trusts|partner|partners|contractor|"
                    r"contractors|bidder|bidders|body|bodies|department|agency)\b", re.I)
_LIST_Q = re.compile(r"^(?:which|what)\s+\w+(?:\s+\w+)?\s+(?:were|are|have|had)\b|"
                     r"^(?:which|what)\s+(?:were|are)\s+the\s+(?:\w+\s+)?\w+s\b|"
                     r"\b(?:list|name (?:the|all|some|three|two|four|five))\b|\bwhich (?:\w+ )?"
                     r"(?:areas|decisions|changes|reasons|ways|things|recommendations|"
                     r"problems|services|issues|steps)\b", re.I)
_YESNO_Q = re.compile(r"^(?:and |but |so )?(?:is|are|was|were|did|does|do|has|have|had|"
                      r"will|would|can|could|should|whether|if)\b", re.I)
# What a person types before the question proper: "Can you tell me who …", "In 2019, …"
_PREAMBLE = re.compile(r"^(?:please\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?"
                       r"(?:tell\s+me|say|explain|find\s+out|let\s+me\s+know|check)\s+|"
                       r"(?:do|does)\s+(?:you|the\s+archive)\s+(?:know|say)\s+|"
                       r"tell\s+me\s+(?=(?:who|what|when|which|how|why|where|whether|if)\b)|"
                       r"i(?:'d|’d|\s+would)\s+like\s+to\s+know\s+|i\s+wonder\s+)|"
                       r"^(?:(?:and|but|so)\s+)?(?:in|during|since|after|before|by|according"
                       r"\s+to|back\s+in|for|from|throughout)\b[^,?]{1,60},\s*", re.I)

# "the findings of", "the cost of", "the number of complaints": the noun asked about
_FOCUS = re.compile(r"\b(?:how (?:many|much)|what (?:is|was|were|are) the|which|what)\s+"
                    r"((?:[a-z'’-]+\s+){0,2}?[a-z'’-]+?)(?=\s+(?:of|did|do|does|had|has|have|"
                    r"were|was|is|are|will|would|in|for|to|that|at|on|by)\b|[?,]|$)", re.I)
# "what did readers say about austerity": what is talked about
_ABOUT = re.compile(r"\b(?:(?:say|said|says|think|thought|write|wrote|written|feel|felt|make|"
                    r"made|know|known)\s+(?:about|of|on|regarding|over)|react(?:ed|ion)?\s+"
                    r"to|happen(?:ed|s)?\s+to)\s+(?P<np>[^?,.;]+)", re.I)
_QUOTED = re.compile(r"[\"“‘]([^\"”’]{3,60})[\"”’]|(?<![a-z])'([^']{3,60})'(?![a-z])")
_DATED = re.compile(rf"\b(?:(?:{_MONTHS})\s+)?(?:19|20)\d\d\b|\b\d+(?:[.,]\d+)?%?", re.I)
_ACRONYM = re.compile(r"\b[A-Z][a-zA-Z&]*[A-Z][a-zA-Z]*\b")  # CRC, HMIP, MoJ, PIP
_NAME_RUN = re.compile(r"\b[A-Z][a-z’'-]+(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][a-z’'-]+)*")
_STOP_NAMES = frozenset(["What", "Which", "Who", "When", "How", "Why", "Where", "And", "In",
                         "The", "Compare", "According", "Were", "Did", "Does", "Was", "Is",
                         "For", "Are", "Has", "Have", "Had", "Will", "Would", "Can", "Could",
                         "Should", "Do", "Tell", "Please", "So", "But", "Also", "Then", "Now",
                         "During", "Since", "After", "Before", "On", "At", "By", "Of",
                         "Between", "One", "A", "An", "Each", "Both", "I", "Name", "List"])

_PART_SPLIT = re.compile(r"(?<=[a-z0-9’'\")])\s*(?:\?\s+|;\s+|,?\s+and\s+(?:also\s+)?"
                         r"(?=(?:what|how|who|which|when|where|why|did|does|do|is|was|"
                         r"were)\b))", re.I)
_COMPARE = re.compile(r"\bcompare\s+(?P<a>.+?)\s+(?:with|against|to|and)\s+(?P<b>.+?)[.?]?$|"
                      r"\bhow\s+(?:does|did|do)\s+(?P<c>.+?)\s+compare\s+(?:with|to|against)\s+"
                      r"(?P<d>.+?)[.?]?$|^(?P<e>[^?]+?)\s+(?:versus|vs\.?)\s+(?P<f>[^?]+?)[.?]?$",
                      re.I)
# Two sides of a "what does each say" question: roles, a year, or a capitalised name
_SIDE = (r"(?:the\s+(?:guest\s+)?blogger|the\s+(?:blog\s+)?post|the\s+author|(?:one|a|another|"
         r"the\s+other)\s+(?:reader|commenter)|(?:the\s+)?readers|(?:the\s+)?commenters|"
         r"(?:19|20)\d\d|(?-i:[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2}))")
_PAIR = re.compile(rf"(?:\bboth\s+)?(?P<a>{_SIDE})\s+and\s+(?P<b>{_SIDE})\b", re.I)
_EACH = re.compile(r"\b(?:what|how)\s+(?:does|do|did)\s+each\b|\beach\s+(?:of\s+them\s+)?"
                   r"(?:say|said|says|argue|think)\b|\brespectively\b", re.I)
_SIDE_VERB = re.compile(r"^(?:\w+\s+){0,1}?(?:see|view|describe|say|think|feel|disagree|"
                        r"differ|judge|treat|portray)\w*\s+(?:(?:about|on|over|regarding)\s+)?",
                        re.I)
_DIFFERENTLY = re.compile(r"\s+(?:very\s+|quite\s+|rather\s+)?(?:differently|in\s+different\s+"
                          r"ways|in\s+opposite\s+ways)\b.*$", re.I)
_YEARS_BETWEEN = re.compile(r"\s*\b(?:between|from)\s+(?P<a>(?:19|20)\d\d)\s+(?:and|to)\s+"
                            r"(?P<b>(?:19|20)\d\d)\b", re.I)
_CHANGE = re.compile(r"\b(?:chang|differ|compar|contrast|shift|evolv|mov)\w*\b", re.I)


@dataclass(frozen=True)
class QuestionShape:
    """One question as read: ``wants`` is one of ``WANTS``; ``focus`` the words naming what
    is asked ("complaints", "findings"); ``constraints`` the names, dates, numbers and
    quoted phrases it is pinned to; ``parts`` its sub-questions (the question itself when it
    has one part) and ``part_wants`` what each asks; ``implied`` the search filters its
    wording implies for the whole question (those every part implies); ``part_implied``
    each part's own."""

    text: str
    wants: str
    focus: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    implied: tuple[ImpliedFilter, ...] = ()
    part_implied: tuple[tuple[ImpliedFilter, ...], ...] = ()
    part_wants: tuple[str, ...] = ()


def analyse(question: str, authors: Collection[str] = (), *, today: date | None = None,
            span: tuple[date, date] | None = None) -> QuestionShape:
    """The ``QuestionShape`` of ``question``; ``authors`` are the names the archive's posts
    and comments are signed with (a named one implies an author filter); ``today`` and
    ``span`` (the archive's first and last dates) let "last year" imply dates."""
    text = " ".join(question.split())
    parts = split_parts(text)
    whole = implied_filters(text, authors, today=today, span=span)
    if len(parts) == 1:
        per_part: tuple[tuple[ImpliedFilter, ...], ...] = (whole,)
        implied = whole
    else:  # each part's filters are its own; the question's, those they share
        lead = leading_scope(text)
        per_part = tuple(_with_lead(implied_filters(part, authors, today=today, span=span),
                                    lead) for part in parts)
        common = set.intersection(*({(f.name, f.value) for f in p} for p in per_part))
        implied = tuple(f for f in per_part[0] if (f.name, f.value) in common)
        if _two_years(text):  # "change between 2016 and 2020": the range covers both parts
            implied = (*(f for f in whole if f.name in DATE_FILTERS), *implied)
    wants = tuple(answer_kind(p) for p in parts)  # a compound asks first what it asks first
    return QuestionShape(text, wants[0] if len(parts) > 1 else answer_kind(text),
                         _focus(text), _constraints(text), parts, implied, per_part, wants)


def _with_lead(filters: tuple[ImpliedFilter, ...], lead: tuple[ImpliedFilter, ...]
               ) -> tuple[ImpliedFilter, ...]:
    """A part's filters, with the question's leading dates when it names none itself."""
    if any(f.name in DATE_FILTERS for f in filters):
        return filters
    return (*lead, *filters)


def answer_kind(question: str) -> str:
    """What kind of answer ``question`` wants, one of ``WANTS`` (first match wins: a
    "how much did it cost" is money before it is a number). A polite opening ("Can you
    tell me …") and a leading scope ("In 2019, …") are read past."""
    core = " ".join(question.split())
    for _ in range(2):  # "Can you tell me, in 2019, who …": both openings
        core = _PREAMBLE.sub("", core, count=1)
    for kind, pattern in (("money", _MONEY_Q), ("date", _DATE_Q), ("number", _NUMBER_Q),
                          ("person", _PERSON_Q), ("organisation", _ORG_Q),
                          ("list", _LIST_Q), ("yesno", _YESNO_Q)):
        if pattern.search(core):
            return kind
    return "explanation"


def _focus(question: str) -> tuple[str, ...]:
    about = _ABOUT.search(question)
    if about:  # "what did readers say about austerity" is about austerity
        return tuple(content_words(about["np"])[:4])
    match = _FOCUS.search(question)
    return tuple(content_words(match.group(1))) if match else ()


def _constraints(question: str) -> tuple[str, ...]:
    """Quoted phrases, dates and numbers, acronyms, and capitalised names (a name opening
    the question counts only past its first word: "What", "In", "Compare" are not names)."""
    found: list[str] = []
    for pattern in (_QUOTED, _DATED, _ACRONYM, _NAME_RUN):
        for match in pattern.finditer(question):
            value = next((g for g in match.groups() if g), match.group(0)).strip()
            words = value.split()
            while words and words[0] in _STOP_NAMES:
                words.pop(0)
            value = " ".join(words)
            if len(value) >= 2 and not any(value.lower() in f.lower() for f in found):
                found.append(value)
    return tuple(found)


def split_parts(question: str) -> tuple[str, ...]:
    """The sub-questions of a comparison ("Compare A with B", "How does A compare with
    B"), a two-sided question ("The blogger and one reader … What does each say?", "What
    did both X and Y say …"), a change between two years, or a compound ("X, and what did
    Y say?"); one part, the question itself, when it has no others."""
    for way in (_compared, _each_side, _both_sides, _two_years, _compound):
        parts = way(question)
        if parts:
            return parts
    return (question,)


def _asked(text: str) -> str:
    text = text.strip(" ,;")
    return text if text.endswith("?") else f"{text}?"


def _compared(question: str) -> tuple[str, ...]:
    match = _COMPARE.search(question)
    if not match:
        return ()
    a, b = (match["a"], match["b"]) if match["a"] else (
        (match["c"], match["d"]) if match["c"] else (match["e"], match["f"]))
    lead = question[:match.start()].strip()
    topic = lead if lead.endswith("?") else ""
    return tuple(f"{topic} {side.strip()}".strip() for side in (a, b))


def _each_side(question: str) -> tuple[str, ...]:
    """"The blogger and one reader see X very differently. What does each say?" → what
    each side says about X."""
    each = _EACH.search(question)
    pair = _PAIR.search(question[:each.start()]) if each else None
    if not pair:
        return ()
    sentence_end = question.find(".", pair.end())
    rest = question[pair.end():sentence_end if 0 <= sentence_end < each.start()
                    else each.start()]
    topic = _DIFFERENTLY.sub("", _SIDE_VERB.sub("", rest.strip(" ,.?"))).strip(" ,.?")
    about = f" about {topic}" if topic else ""
    return tuple(f"What does {_lower_role(side)} say{about}?" for side in (pair["a"], pair["b"]))


def _lower_role(side: str) -> str:
    """"The blogger" inside a sentence is "the blogger"; a name keeps its capitals."""
    side = side.strip()
    if side.split()[0] in ("The", "One", "A", "Another"):
        return side[:1].lower() + side[1:]
    return side


def _both_sides(question: str) -> tuple[str, ...]:
    """"What did both the blogger and readers say about X?" → one question per side."""
    match = _PAIR.search(question)
    if not match or not match.group(0).lower().startswith("both"):
        return ()
    return tuple(question[:match.start()] + side + question[match.end():]
                 for side in (match["a"], match["b"]))


def _two_years(question: str) -> tuple[str, ...]:
    """"How did X change between 2016 and 2020?" → X in 2016, X in 2020 (the question's
    range filter still covers both)."""
    match = _YEARS_BETWEEN.search(question)
    if not match or not _CHANGE.search(question):
        return ()
    rest = (question[:match.start()] + question[match.end():]).strip(" ,")
    rest = rest[:1].lower() + rest[1:]
    return tuple(f"In {year}, {rest}" for year in (match["a"], match["b"]))


def _compound(question: str) -> tuple[str, ...]:
    pieces = [p.strip(" ,") for p in _PART_SPLIT.split(question) if p and p.strip(" ,?")]
    pieces = [p for p in pieces if len(content_words(p)) >= 2]
    return tuple(_asked(p) for p in pieces) if len(pieces) >= 2 else ()
