"""Text without date lines: a web page saved as text (its chrome removed) or a plain note."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.ingest.comments import split_comments
from assistant.ingest.dates import DATE_IN_TEXT_RE, find_date
from assistant.ingest.whitespace import clean_lines, norm_line, word_count
from assistant.records import Post

__all__ = [
    "parse_undated",
]

_CHROME_LINES = frozenset(
    """
    search|menu|home|share|share this|share this post|share this article|share this story|tweet
    |email|print|skip to content|skip to main content|toggle navigation|main menu|navigation
    |log in|login|sign in|sign up|register|subscribe|advertisement|facebook|twitter|linkedin
    |whatsapp|pinterest|reddit|previous post|next post|back to top|read more|close
    |cookie settings|accept cookies|accept all cookies
    """.replace("\n", "")
    .strip()
    .split("|")
)
_TAIL_RE = re.compile(
    r"^(?:related (?:posts?|articles?|stories|content)|you (?:may|might) also like"
    r"|leave a (?:reply|comment)|post a comment|add a comment|comments are closed.*"
    r"|(?:\d+|one|no) (?:responses?|comments?|replies)(?: to .*)?"
    r"|share this(?: post| article| story)?|your email address will not be published.*)$",
    re.IGNORECASE,
)
_BYLINE_RE = re.compile(r"^By ([A-Z][\w'’-]+(?: [A-Z][\w'’.-]+){0,3})$")
_TAIL_AFTER_CHARS = 200  # a tail marker only cuts once this much body text precede it


def _is_chrome(line: str) -> bool:
    return line.lower().strip(" :»›|") in _CHROME_LINES


def _is_prose(line: str) -> bool:
    end = line.rstrip("\"'”’)]")
    words = word_count(line)
    if len(line) >= 200:
        return True
    if words >= 6 and end.endswith((".", ":", ";", "…")):
        return True
    return words >= 12 and end.endswith(("?", "!"))


def _is_heading(line: str) -> bool:
    return (
        2 <= word_count(line) <= 30
        and len(line) <= 200
        and not line.rstrip("\"'”’)]").endswith((".", ",", ";", ":", "…"))
        and not _is_chrome(line)
        and not _TAIL_RE.match(line)
        and not _BYLINE_RE.match(line)
        and not line.startswith(("• ", "http://", "https://", "www."))
        and not DATE_IN_TEXT_RE.fullmatch(line)
    )


def parse_undated(lines: list[str], source: str) -> list[Post]:
    """Text without date lines: a saved web page (chrome removed) or a plain note."""
    body_lines, comments = split_comments(lines)
    clean = [norm_line(line) for line in body_lines]
    filled = [i for i, line in enumerate(clean) if line]
    if not filled:  # nothing but comments (or nothing at all)
        title = Path(source).stem or source
        return (
            [Post(source=source, title=title, body="", comments=tuple(comments))]
            if comments
            else []
        )
    author = None
    if any(_is_chrome(clean[i]) or _TAIL_RE.match(clean[i]) for i in filled):
        title, body, author = _web_page(clean, filled)
    else:
        title = clean[filled[0]]
        rest = clean[filled[0] + 1 :]
        if len(title) > 150:  # one long first line: keep it in the body, shorten the title
            rest = clean[filled[0] :]
            title = title[:120].rsplit(" ", 1)[0] + "…"
        body = clean_lines(rest)
    return [
        Post(
            source=source,
            title=title,
            body=body,
            date=find_date(f"{title}\n{body}"),
            author=author,
            comments=tuple(comments),
        )
    ]


def _web_page(clean: list[str], filled: list[int]) -> tuple[str, str, str | None]:
    """Title, body and byline author of a saved page: chrome lines dropped, tail cut."""
    title_i, rest = _web_title(clean, filled)
    author = None
    kept: list[str] = []
    chars = 0
    for n, line in enumerate(rest):
        if line and chars >= _TAIL_AFTER_CHARS and _TAIL_RE.match(line):
            break
        if _is_chrome(line) or (line and _TAIL_RE.match(line)):
            continue
        by = _BYLINE_RE.match(line)
        if by and author is None and n < 4:
            author = by.group(1)
            continue
        kept.append(line)
        chars += len(line)
    return clean[title_i], clean_lines(kept), author


def _web_title(clean: list[str], filled: list[int]) -> tuple[int, list[str]]:
    """The headline: the last heading-like line before the first prose line (the standfirst
    or first paragraph); navigation and taglines above it are dropped."""
    first_prose = next((i for i in filled if _is_prose(clean[i])), len(clean))
    headings = [i for i in filled if i < first_prose and _is_heading(clean[i])]
    if headings:
        title_i = headings[-1]
    else:
        title_i = next((i for i in filled if not _is_chrome(clean[i])), filled[0])
    return title_i, clean[title_i + 1 :]
