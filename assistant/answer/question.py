"""What a question asks: the kind of answer, the words it is about, the facts it names, its
parts, and the search filters its wording implies.

``analyse`` reads one standalone question (``understand`` has already resolved a
follow-up). Everything here is wording, not evidence: the reading stage (``reading``) then
looks for sentences that hold ``wants`` about ``focus`` under ``constraints``, per part.

Implied filters are only taken where the wording scopes the whole question: "In 2019, what
did readers say …" restricts to 2019 and to comments, but "how many were started in 2006,
according to …" names a year the answer is about (a constraint, not a filter), and a
question naming two years or both posts and readers implies neither.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from assistant.records import ImpliedFilter
from assistant.text import content_words

__all__ = ["WANTS", "QuestionShape", "analyse", "answer_kind", "implied_filters", "split_parts"]

WANTS = ("number", "money", "date", "person", "organisation", "yesno", "list", "explanation")

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december")
_YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b")
_MONEY_Q = re.compile(r"\bhow much (?:money|did|does|was|were|is|will|would|had|has|cash)\b|"
                      r"\b(?:cost|price|budget|salary|pay|paid|fee|fund(?:ing)?|worth|spend|"
                      r"spent|save|saving|savings)\b.*\bhow much\b|\bhow much\b.*\b(?:cost|"
                      r"price|budget|salary|paid|fee|fund(?:ing|ed)?|worth|spen[dt]|save|"
                      r"saving|savings)\b|\bwhat (?:was|is|were) the (?:cost|price|budget|"
                      r"salary|value)\b", re.I)
_NUMBER_Q = re.compile(r"\bhow (?:many|much|long|often|big|small|large|old|far|high|low)\b|"
                       r"\bwhat (?:share|percentage|proportion|number|amount|fraction|"
                       r"rate|figure|total)\b|\bhow many\b", re.I)
_DATE_Q = re.compile(r"^\s*(?:and |but |so )?when\b|\bwhat (?:date|year|month|day)\b|"
                     r"\bwhich (?:date|year|month|day)\b|\bhow long ago\b|\bsince when\b", re.I)
_PERSON_Q = re.compile(r"^\s*(?:and |but |so )?(?:who|whose|whom)\b|\bwhich (?:person|"
                       r"minister|mp|official|officer|chair|chief|director|secretary|reader|"
                       r"commenter|blogger|writer|author|spokesperson|judge|inspector)\b|"
                       r"\bwhat (?:is|was) (?:the name|his name|her name)\b", re.I)
_ORG_Q = re.compile(r"\bwhich (?:company|companies|firm|firms|organisation|organisations|"
                    r"organization|organizations|union|unions|charity|charities|provider|"
                    r"providers|crc|crcs|trust|trusts|partner|partners|contractor|"
                    r"contractors|bidder|bidders|body|bodies|department|agency)\b", re.I)
_LIST_Q = re.compile(r"^\s*(?:which|what)\s+\w+(?:\s+\w+)?\s+(?:were|are|have|had)\b|"
                     r"\b(?:list|name (?:the|all|some))\b|\bwhich (?:\w+ )?(?:areas|decisions|"
                     r"changes|reasons|ways|things|recommendations|problems)\b", re.I)
_YESNO_Q = re.compile(r"^\s*(?:and |but |so )?(?:is|are|was|were|did|does|do|has|have|had|"
                      r"will|would|can|could|should)\b", re.I)

# "the findings of", "the cost of", "the number of complaints": the noun asked about
_FOCUS = re.compile(r"\b(?:how (?:many|much)|what (?:is|was|were|are) the|which|what)\s+"
                    r"((?:[a-z'’-]+\s+){0,2}?[a-z'’-]+?)(?=\s+(?:of|did|do|does|had|has|have|"
                    r"were|was|is|are|will|would|in|for|to|that|at|on|by)\b|[?,]|$)", re.I)
_QUOTED = re.compile(r"[\"“‘]([^\"”’]{3,60})[\"”’]|(?<![a-z])'([^']{3,60})'(?![a-z])")
_DATED = re.compile(rf"\b(?:(?:{_MONTHS})\s+)?(?:19|20)\d\d\b|\b\d+(?:[.,]\d+)?%?", re.I)
_ACRONYM = re.compile(r"\b[A-Z][a-zA-Z&]*[A-Z][a-zA-Z]*\b")  # CRC, HMIP, MoJ, PIP
_NAME_RUN = re.compile(r"\b[A-Z][a-z’'-]+(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][a-z’'-]+)*")
_STOP_NAMES = frozenset(["What", "Which", "Who", "When", "How", "Why", "Where", "And", "In",
                         "The", "Compare", "According", "Were", "Did", "Does", "Was", "Is",
                         "For", "Are", "Has", "Have", "Had", "Will", "Would", "Can", "Could",
                         "Should", "Do", "Tell", "Please", "So", "But", "Also", "Then", "Now",
                         "During", "Since", "After", "Before", "On", "At", "By", "Of", "Between"])

_LEADING_SCOPE = re.compile(rf"^\s*(?:and\s+)?(?:in|during|back in|throughout)\s+"
                            rf"(?:(?P<month>{_MONTHS})\s+)?(?P<year>(?:19|20)\d\d)\s*,", re.I)
_BETWEEN = re.compile(r"\bbetween\s+(?P<a>(?:19|20)\d\d)\s+and\s+(?P<b>(?:19|20)\d\d)\b", re.I)
_COMMENT_CUE = re.compile(r"\b(?:readers?|commenters?|commentators?|comments?|replies|"
                          r"replied|responders?)\b", re.I)
_POST_CUE = re.compile(r"\b(?:the blogger|the guest blogger|the blog post|the posts?\b|"
                       r"blog posts?|the author of the (?:post|blog))", re.I)
_NOT_COMMENTS = re.compile(r"\bnot (?:the )?(?:readers?'?|commenters?'?)\s*(?:comments?)?|"
                           r"\b(?:themselves|itself)\b,? not\b", re.I)
_AUTHOR_CUE = (r"(?:commenter|reader|poster|blogger|writer|author|signs? (?:off )?as|"
               r"signed(?: off)? (?:as|by)?|by|did(?:\s+\w+){0,3})")
_PART_SPLIT = re.compile(r"(?<=[a-z0-9’'\")])\s*(?:\?\s+|,?\s+and\s+(?=(?:what|how|who|which|"
                         r"when|where|why|did|does|do|is|was|were)\b))", re.I)
_COMPARE = re.compile(r"\bcompare\s+(?P<a>.+?)\s+(?:with|against|to|and)\s+(?P<b>.+?)[.?]?$",
                      re.I)


@dataclass(frozen=True)
class QuestionShape:
    """One question as read: ``wants`` is one of ``WANTS``; ``focus`` the words naming what
    is asked ("complaints", "findings"); ``constraints`` the names, dates, numbers and
    quoted phrases it is pinned to; ``parts`` its sub-questions (the question itself when it
    has one part); ``implied`` the search filters its wording implies for the whole question
    (those every part implies); ``part_implied`` each part's own."""

    text: str
    wants: str
    focus: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    implied: tuple[ImpliedFilter, ...] = ()
    part_implied: tuple[tuple[ImpliedFilter, ...], ...] = ()


def analyse(question: str, authors: Collection[str] = ()) -> QuestionShape:
    """The ``QuestionShape`` of ``question``; ``authors`` are the names the archive's posts
    and comments are signed with (a named one implies an author filter)."""
    text = " ".join(question.split())
    parts = split_parts(text)
    if len(parts) == 1:
        implied = implied_filters(text, authors)
        per_part: tuple[tuple[ImpliedFilter, ...], ...] = (implied,)
    else:  # "In 2014, … and what did X say in 2016": each part's filters are its own
        per_part = tuple(implied_filters(part, authors) for part in parts)
        common = {(f.name, f.value) for f in per_part[0]}.intersection(
            *({(f.name, f.value) for f in filters} for filters in per_part[1:]))
        implied = tuple(f for f in per_part[0] if (f.name, f.value) in common)
    return QuestionShape(text, answer_kind(text), _focus(text), _constraints(text), parts,
                         implied, per_part)


def answer_kind(question: str) -> str:
    """What kind of answer ``question`` wants, one of ``WANTS`` (first match wins: a
    "how much did it cost" is money before it is a number)."""
    for kind, pattern in (("money", _MONEY_Q), ("date", _DATE_Q), ("number", _NUMBER_Q),
                          ("person", _PERSON_Q), ("organisation", _ORG_Q),
                          ("list", _LIST_Q), ("yesno", _YESNO_Q)):
        if pattern.search(question):
            return kind
    return "explanation"


def _focus(question: str) -> tuple[str, ...]:
    match = _FOCUS.search(question)
    if not match:
        return ()
    return tuple(content_words(match.group(1)))


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
    """The sub-questions of a compound ("X, and what did Y say?") or comparison ("Compare
    A with B") question; one part, the question itself, when it has no others."""
    compare = _COMPARE.search(question)
    if compare:
        lead = question[:compare.start()].strip()
        topic = lead if lead.endswith("?") else ""
        return tuple(f"{topic} {side.strip()}".strip() for side in (compare["a"], compare["b"]))
    pieces = [p.strip(" ,") for p in _PART_SPLIT.split(question) if p and p.strip(" ,?")]
    pieces = [p for p in pieces if len(content_words(p)) >= 2]
    if len(pieces) < 2:
        return (question,)
    return tuple(p if p.endswith("?") else f"{p}?" for p in pieces)


def implied_filters(question: str, authors: Collection[str] = ()) -> tuple[ImpliedFilter, ...]:
    """The filters the wording implies: a leading year ("In 2019, …") or "between 2015 and
    2017" when no other year is named; readers/comments or the post/blogger when only one
    side is named; a signed name after a cue ("the commenter papa", "did Dino Peros say")."""
    found: list[ImpliedFilter] = []
    years = _YEAR.findall(question)
    scope = _LEADING_SCOPE.match(question)
    between = _BETWEEN.search(question)
    if scope and len(set(years)) == 1:
        found += _year_range(scope["year"], scope["year"], scope.group(0).strip(" ,"))
    elif between and len(set(years)) == 2:
        low, high = sorted((between["a"], between["b"]))
        found += _year_range(low, high, between.group(0))
    comment, post = _COMMENT_CUE.search(question), _POST_CUE.search(question)
    if post and (not comment or _NOT_COMMENTS.search(question)):
        found.append(ImpliedFilter("kind", "post", post.group(0)))
    elif comment and not post:
        found.append(ImpliedFilter("kind", "comment", comment.group(0)))
    name = _named_author(question, authors)
    if name:
        found.append(ImpliedFilter("author", name[0], name[1]))
    return tuple(found)


def _year_range(low: str, high: str, phrase: str) -> list[ImpliedFilter]:
    return [ImpliedFilter("since", f"{low}-01-01", phrase),
            ImpliedFilter("until", f"{high}-12-31", phrase)]


def _named_author(question: str, authors: Collection[str]) -> tuple[str, str] | None:
    """``(name as signed, phrase)`` for an archive author the question names after a cue;
    the longest name wins ("Dino Peros" over "Dino")."""
    for name in sorted((a for a in authors if a and len(a) >= 3), key=len, reverse=True):
        if name.lower() in ("anonymous", "unknown"):
            continue
        quoted = rf"[\"“'‘]{re.escape(name)}[\"”'’]"
        cued = rf"\b{_AUTHOR_CUE}\s+(?:[A-Za-z]+\s+){{0,3}}?{re.escape(name)}\b"
        match = (re.search(quoted, question, re.I)
                 or re.search(cued, question, 0 if name[:1].isupper() else re.I))
        if match:
            return name, match.group(0).strip("\"“”'‘’ ")
    return None
