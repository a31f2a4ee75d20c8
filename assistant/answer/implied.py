"""The search filters a question's wording implies: dates, posts or comments, an author.

A filter is implied only where the wording scopes the whole question, never where it names
what the answer is about:

- dates: a leading scope ("In 2019, …", "In March 2016, …", "Since 2019, …"), a range
  ("between 2015 and 2017", "from 2015 to 2017"), or a year tied to who said it ("what did
  readers say about austerity in 2019?", "posts from 2016"). "How many were started in
  2006?" names the year of an event: a constraint, no filter. Two years outside a range
  ("2016 against 2020") imply none. "Last year" and the like only resolve against
  ``today`` and only where the archive (``span``) has passages then.
- kind: readers, commenters, "in the comments" → comments; the blogger, the post(s), blog
  posts → posts; "the posts themselves, not the readers' comments" → posts. A question
  naming both sides implies neither, unless one of them is the speaker ("what did readers
  think of the post?" → comments).
- author: a name the archive is signed with, named as the one who said or signed it
  ("the commenter Getafix", "signs off as 'papa'", "what did branch chair Dino Peros tell
  members"), not as what is talked about ("what did readers say about Getafix?"). Two
  named authors imply none.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from assistant.records import ImpliedFilter

__all__ = ["DATE_FILTERS", "after_archive", "implied_filters", "leading_scope"]

DATE_FILTERS = ("since", "until")

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_MONTH = "|".join(_MONTH_NAMES)
_YEAR_RE = r"(?:19[5-9]\d|20[0-4]\d)"
_YEAR = re.compile(rf"\b{_YEAR_RE}\b")
_WHEN = rf"(?:(?P<month>{_MONTH})\s+)?(?P<year>{_YEAR_RE})"

# Verbs whose subject is a writer in the archive: their date is the passage's date.
_SAID = (r"(?:say|says|said|saying|write|writes|wrote|written|writing|post|posts|posted|"
         r"reposted|posting|comment|comments|commented|blog|blogged|argue|argued|claim|"
         r"claimed|think|thought|feel|felt|complain|complained|report|reported|warn|warned|"
         r"predict|predicted|expect|expected|react|reacted|discuss|discussed|tell|told|"
         r"ask|asked|suggest|suggested|describe|described)")
_SCOPE_LEAD = re.compile(rf"^\s*(?:and\s+|so\s+|but\s+)?(?:(?:back\s+)?in|during|throughout|"
                         rf"over|for)\s+(?:the\s+year\s+)?{_WHEN}\s*,", re.I)
_BOUND_LEAD = re.compile(rf"^\s*(?:and\s+)?(?P<op>since|after|before|until|till|up to)\s+"
                         rf"{_WHEN}\s*,", re.I)
_RANGE = re.compile(rf"\b(?:between|from)\s+(?P<a>{_YEAR_RE})\s+(?:and|to|until|till)\s+"
                    rf"(?P<b>{_YEAR_RE})\b|\b(?P<c>{_YEAR_RE})\s*[-–]\s*(?P<d>{_YEAR_RE})\b",
                    re.I)
# "said … in 2019" with no other verb or clause between (a participle or "that" starts a
# clause whose date is an event's: "the contracts signed in 2014").
_SAID_IN = re.compile(rf"\b{_SAID}\b(?P<gap>(?:\s+[\w'’-]+){{0,6}}?)\s+"
                      rf"(?P<op>in|during|since|after|before|until)\s+{_WHEN}\b", re.I)
_WRITINGS = (r"(?:posts?|comments?|readers?|commenters?|the\s+blogger|blog\s+posts?|"
             r"articles?|the\s+blog)")
_WRITINGS_FROM = re.compile(rf"\b{_WRITINGS}\s+(?:from|in|of|during)\s+{_WHEN}\b", re.I)
_DATED_WRITINGS = re.compile(rf"\b(?:the\s+)?{_WHEN}\s+(?:blog\s+)?(?:posts?|comments?)\b",
                             re.I)
_CLAUSE = re.compile(r"\b(?:that|which|who|when|where|because|while)\b|\b\w{3,}ed\b", re.I)
_RELATIVE = re.compile(r"\b(?P<which>last|this|past|previous)\s+year\b|"
                       r"\b(?:in\s+)?the\s+(?:last|past)\s+(?P<n>two|three|four|five|\d)\s+"
                       r"years\b", re.I)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5}

# -------------------------------------------------------------------- kind cues
# "what did readers say about the commenter papa": papa is talked about, not the speaker
_OBJECT_BEFORE = re.compile(r"\b(?:about|on|of|to|with|against|regarding|towards|at|for)\s+"
                            r"(?:the\s+)?$", re.I)
_COMMENT_CUE = re.compile(r"\b(?:readers?|readers['’]|reader['’]s|commenters?|commentators?|"
                          r"(?:in|from|among|under|through|below)\s+the\s+comments|"
                          r"comments?\s+(?:thread|section)|below\s+the\s+line|"
                          r"(?:a|one|another|any|some|other|the\s+first|the\s+last)\s+"
                          r"comments?\b(?!\s+(?:from|by)\s+(?:the\s+)?[A-Z]))", re.I)
_POST_CUE = re.compile(r"\b(?:the\s+|a\s+)?(?:guest\s+)?bloggers?\b|\bblog\s+posts?\b|"
                       r"\bguest\s+posts?\b|\bthe\s+(?:(?:19|20)\d\d\s+)?(?:blog\s+)?posts?\b"
                       r"(?!\s+(?:of|office|holders?)\b|[-–])|\bthe\s+article\b|"
                       r"\bthe\s+author\s+of\s+the\s+(?:post|blog|piece)\b", re.I)
_NOT_COMMENTS = re.compile(r"\bnot\s+(?:in\s+|from\s+)?(?:the\s+|any\s+)?(?:readers?['’]?\s*"
                           r"|commenters?['’]?\s*)?comments\b|\bnot\s+(?:the\s+)?(?:readers?|"
                           r"commenters?)\b|\b(?:ignor|exclud|leav|skipp?)\w*\s+(?:out\s+)?"
                           r"(?:the\s+|any\s+|all\s+)?(?:readers?['’]?\s+)?comments\b|"
                           r"\b(?:without|rather\s+than|instead\s+of)\s+(?:the\s+|any\s+)?"
                           r"(?:(?:readers?|commenters?)['’]?\s+comments|readers?|commenters?|"
                           r"comments)\b", re.I)
_NOT_POSTS = re.compile(r"\bnot\s+(?:in\s+|from\s+)?(?:the\s+)?(?:blog\s+)?(?:posts?|"
                        r"blogger)\b(?!\s+of)|\b(?:ignor|exclud|leav|skipp?)\w*\s+(?:out\s+)?"
                        r"(?:the\s+)?(?:blog\s+)?(?:posts?|blogger)\b|\b(?:rather\s+than|"
                        r"instead\s+of)\s+(?:the\s+)?(?:blog\s+)?(?:posts?|blogger)\b", re.I)
# The speaker: "what did readers think …", "how did the blogger react", "did any reader …"
_SPEAKER = re.compile(r"^\s*(?:(?:and|so|but)\s+)?(?:(?:what|how|why|when|where|which\s+"
                      r"\w+)\s+)?(?:did|do|does|have|has|had|were|was|are|is|would|could)\s+"
                      r"(?:the\s+|a\s+|any\s+|one\s+|some\s+|most\s+|many\s+|other\s+)?"
                      r"(?:guest\s+)?(?P<who>readers?|commenters?|commentators?|bloggers?|"
                      r"posts?|blog\s+posts?)\b|^\s*according\s+to\s+(?:the\s+)?"
                      r"(?P<who2>readers?|commenters?|bloggers?|posts?)\b", re.I)
_BOTH_SIDES = re.compile(r"\b(?:readers?|commenters?|comments?)\s+(?:and|or|versus|vs\.?|"
                         r"against)\s+(?:the\s+)?(?:blogger|posts?)\b|\b(?:blogger|posts?)"
                         r"\s+(?:and|or|versus|vs\.?|against)\s+(?:the\s+|a\s+|one\s+|some\s+)?"
                         r"(?:readers?|commenters?|comments?)\b|\b(?:each|both)\b|"
                         r"\bcompare\b", re.I)

# -------------------------------------------------------------------- author cues
_ROLE = (r"(?:commenter|commentator|reader|poster|blogger|guest\s+blogger|writer|author|"
         r"contributor|correspondent|signatory)")
_SPEECH = (r"(?:say|says|said|tell|told|write|wrote|writes|think|thinks|thought|expect|"
           r"expected|expects|argue|argued|claim|claimed|suggest|suggested|predict|"
           r"predicted|warn|warned|mean|meant|want|wanted|call|called|describe|described|"
           r"ask|asked|advise|advised|recommend|recommended|complain|complained|report|"
           r"reported|post|posted|comment|commented|reply|replied|respond|responded|react|"
           r"reacted|feel|felt|make|made)")
_OWN = (r"(?:comments?|posts?|blog|piece|letter|view|views|words|reply|replies|remarks?|"
        r"report|message|take|opinion|article)")


def implied_filters(question: str, authors: Collection[str] = (), *,
                    today: date | None = None,
                    span: tuple[date, date] | None = None) -> tuple[ImpliedFilter, ...]:
    """The filters ``question``'s wording implies (see the module docstring); ``authors``
    are the names the archive is signed with, ``today`` and ``span`` (the archive's first
    and last dates) resolve relative wording ("last year")."""
    text = " ".join(question.split())
    found = _in_archive(_dates(text, today, span), span)
    kind = _kind(text)
    if kind:
        found.append(kind)
    author = _author(text, authors)
    if author:
        found.append(author)
    return tuple(found)


# -------------------------------------------------------------------- dates

def leading_scope(question: str) -> tuple[ImpliedFilter, ...]:
    """The dates of a scope written before everything else ("In 2019, …", "Since March
    2016, …"): it covers every part of a compound question that names no date itself."""
    text = " ".join(question.split())
    if len(set(_YEAR.findall(text))) != 1:
        return ()  # "In 2014, … and in 2016 …": each part has its own
    for pattern, op in ((_SCOPE_LEAD, "in"), (_BOUND_LEAD, None)):
        match = pattern.search(text)
        if match:
            return tuple(_bounded(op or match["op"], int(match["year"]), match["month"],
                                  match.group(0).strip(" ,")))
    return ()


def _month_range(year: int, month: str | None) -> tuple[date, date]:
    if not month:
        return date(year, 1, 1), date(year, 12, 31)
    m = _MONTH_NAMES.index(month.lower()) + 1
    end = date(year + (m == 12), m % 12 + 1, 1).toordinal() - 1
    return date(year, m, 1), date.fromordinal(end)


def _range(low: date | None, high: date | None, phrase: str) -> list[ImpliedFilter]:
    out = []
    if low:
        out.append(ImpliedFilter("since", low.isoformat(), phrase))
    if high:
        out.append(ImpliedFilter("until", high.isoformat(), phrase))
    return out


def _bounded(op: str, year: int, month: str | None, phrase: str) -> list[ImpliedFilter]:
    """The filters of "in/since/after/before <when>"."""
    first, last = _month_range(year, month)
    op = op.lower()
    if op in ("since",):
        return _range(first, None, phrase)
    if op == "after":
        return _range(date.fromordinal(last.toordinal() + 1), None, phrase)
    if op == "before":
        return _range(None, date.fromordinal(first.toordinal() - 1), phrase)
    if op in ("until", "till", "up to"):
        return _range(None, last, phrase)
    return _range(first, last, phrase)


def _dates(text: str, today: date | None, span: tuple[date, date] | None
           ) -> list[ImpliedFilter]:
    years = set(_YEAR.findall(text))
    if len(years) == 2:
        match = _RANGE.search(text)
        if not match:
            return []
        low, high = sorted(int(y) for y in match.group("a", "b", "c", "d") if y)
        return _range(date(low, 1, 1), date(high, 12, 31), match.group(0))
    if len(years) > 2:
        return []
    if not years:
        return _relative(text, today, span)
    for pattern, op in ((_SCOPE_LEAD, "in"), (_BOUND_LEAD, None), (_WRITINGS_FROM, "in"),
                        (_DATED_WRITINGS, "in")):
        match = pattern.search(text)
        if match:
            phrase = match.group(0).strip(" ,")
            return _bounded(op or match["op"], int(match["year"]), match["month"], phrase)
    match = _SAID_IN.search(text)
    if match and not _CLAUSE.search(match["gap"]):
        phrase = f"{match['op']} {match.group(0).split(match['op'] + ' ', 1)[-1]}"
        return _bounded(match["op"], int(match["year"]), match["month"], phrase.strip())
    return []


def after_archive(text: str, today: date | None, span: tuple[date, date] | None) -> bool:
    """Whether the time ``text`` asks about ("in 2024", "last year") begins after the
    archive's last date: it cannot report what happened then. (A time before its first date
    is not the same: "what did the ministry announce in 2012" can be discussed in 2014.)"""
    if span is None:
        return False
    years = {int(y) for y in _YEAR.findall(text)}
    if years:  # "the salary … in 2024": every year it names is after the last post
        return min(years) > span[1].year
    bounds = {f.name: date.fromisoformat(f.value)
              for f in _dates(text, today, (date.min, date.max))}
    return "since" in bounds and bounds["since"] > span[1]


def _in_archive(dates: list[ImpliedFilter], span: tuple[date, date] | None
                ) -> list[ImpliedFilter]:
    """``dates``, unless the archive (``span``, when known) has nothing then: "what did the
    ministry announce in 2012" in an archive that starts in 2014 names the event's year,
    and a filter would hide every passage about it."""
    if not dates or span is None:
        return dates
    bounds = {f.name: date.fromisoformat(f.value) for f in dates}
    if bounds.get("since", span[0]) > span[1] or bounds.get("until", span[1]) < span[0]:
        return []
    return dates


def _relative(text: str, today: date | None, span: tuple[date, date] | None
              ) -> list[ImpliedFilter]:
    """"Last year", "this year", "in the past three years", resolved against ``today``, only
    when the archive has passages in that time (else the wording names a time the archive
    does not reach, and a filter would hide everything)."""
    match = _RELATIVE.search(text)
    if not match or today is None or span is None:
        return []
    if match["n"]:
        count = _NUMBERS.get(match["n"].lower()) or int(match["n"])
        low, high = date(today.year - count, 1, 1), today
    else:
        year = today.year - (match["which"].lower() in ("last", "past", "previous"))
        low, high = date(year, 1, 1), date(year, 12, 31)
    if high < span[0] or low > span[1]:
        return []
    return _range(low, high, match.group(0))


# -------------------------------------------------------------------- kind

def _cue(pattern: re.Pattern, text: str) -> re.Match | None:
    """The first cue that is not the object of the question ("respond to the post", "say
    about the blogger": the post is talked about, not where the answer is written)."""
    return next((m for m in pattern.finditer(text)
                 if not _OBJECT_BEFORE.search(text[:m.start()])), None)


def _kind(text: str) -> ImpliedFilter | None:
    not_comments, not_posts = _NOT_COMMENTS.search(text), _NOT_POSTS.search(text)
    if not_comments and not not_posts:
        post = _cue(_POST_CUE, text)
        return ImpliedFilter("kind", "post", (post or not_comments).group(0).strip())
    if not_posts and not not_comments:
        comment = _cue(_COMMENT_CUE, text)
        return ImpliedFilter("kind", "comment", (comment or not_posts).group(0).strip())
    if not_posts:
        return None
    comment, post = _cue(_COMMENT_CUE, text), _cue(_POST_CUE, text)
    if comment and post:
        speaker = _SPEAKER.search(text)
        who = (speaker["who"] or speaker["who2"]).lower() if speaker else ""
        if not who or _BOTH_SIDES.search(text):
            return None
        if who.startswith(("reader", "comment")):
            return ImpliedFilter("kind", "comment", comment.group(0).strip())
        return ImpliedFilter("kind", "post", post.group(0).strip())
    if comment:
        return ImpliedFilter("kind", "comment", comment.group(0).strip())
    if post:
        return ImpliedFilter("kind", "post", post.group(0).strip())
    return None


# -------------------------------------------------------------------- author

def _author_patterns(name: str) -> list[str]:
    """Where ``name`` is the speaker or signer, strongest cues first (the first three
    make even a lower-case word a name). A capitalised name keeps its capital."""
    n = re.escape(name)
    if name[:1].isupper():
        n = f"(?-i:{re.escape(name[0])}){re.escape(name[1:])}"
    return [
        rf"[\"“'‘]{n}[\"”'’]",  # quoted: 'papa'
        rf"\b{_ROLE}s?\s+(?:(?:called|named|signing\s+(?:off\s+)?as)\s+)?{n}\b",
        rf"\bsign(?:s|ed|ing)?\s+(?:off\s+)?(?:as|by)\s+{n}\b",
        rf"\b(?:did|does|do|has|have|had|would)\s+(?:[\w’'-]+\s+){{0,3}}?{n}\s+{_SPEECH}\b",
        rf"\b{n}\s+(?:has\s+|had\s+|have\s+)?{_SPEECH}\b",
        rf"\baccording\s+to\s+{n}\b",
        rf"\b{n}['’]s?\s+(?:\w+\s+)?{_OWN}\b",
        rf"\b(?:{_OWN}|written|signed|posted)\s+(?:by|from)\s+{n}\b",
    ]


STRONG_CUES = 3  # of ``_author_patterns``: enough for a name written in lower case


def _author(text: str, authors: Collection[str]) -> ImpliedFilter | None:
    """The one archive author the question names as its speaker or signer; longest names
    first ("Dino Peros" before "Dino"); a capitalised name must be written with its capital
    (other letters in any case: "Frank" finds "FranK"), a lower-case one ("papa") needs a
    cue that makes it a name (quotes, "the commenter")."""
    named: list[tuple[str, str]] = []
    spans: list[tuple[int, int]] = []
    for name in sorted({a.strip() for a in authors if a and len(a.strip()) >= 3},
                       key=len, reverse=True):
        if name.lower() in ("anonymous", "unknown", "admin"):
            continue
        patterns = _author_patterns(name)
        for pattern in patterns if name[:1].isupper() else patterns[:STRONG_CUES]:
            match = re.search(pattern, text, re.I)
            if not match or _OBJECT_BEFORE.search(text[:match.start()]):
                continue
            if not any(s <= match.start() < e for s, e in spans):
                named.append((name, match.group(0)))
                spans.append(match.span())
                break
    if len({n.lower() for n, _ in named}) != 1:
        return None  # none, or two authors: a comparison, not a scope
    name, phrase = named[0]
    return ImpliedFilter("author", name, phrase.strip("\"“”'‘’ "))
