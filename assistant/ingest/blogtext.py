"""The blog-text export (the shipped corpus): a weekday date line, a title line, the body,
then ``N comments:`` with numbered, nested comments. No library reads this format."""

from __future__ import annotations

import re

from assistant.ingest.comments import COMMENTS_HEADER_RE, split_comments
from assistant.ingest.dates import WEEKDAY_DATE_LINE_RE, date_from_match
from assistant.ingest.webpage import parse_undated
from assistant.ingest.whitespace import clean_lines, norm_line, word_count
from assistant.records import Post

__all__ = [
    "parse_blog_text",
]

_BLOG_CHROME_RE = re.compile(
    r"^(?:Email This\s*BlogThis!.*|Share to (?:Twitter|Facebook|Pinterest).*|Share this post"
    r"|Newer Post\s*Older Post(?:\s*Home)?|Subscribe to:\s*Post Comments.*|Post a Comment)$",
    re.IGNORECASE,
)
_POSTED_BY_RE = re.compile(r"^Posted by (?P<author>.{1,60}?) (?:at|on) .{1,40}$", re.IGNORECASE)


def parse_blog_text(text: str, source: str) -> list[Post]:
    """Blog-text export: posts start at a weekday date line followed by a title line."""
    lines = text.split("\n")
    starts = _post_starts(lines)
    if not starts:
        return parse_undated(lines, source)
    posts: list[Post] = []
    preamble = lines[: starts[0]]
    if sum(word_count(line) for line in preamble) >= 20:  # real text before the first post
        posts.extend(parse_undated(preamble, source))
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(lines)
        posts.append(_blog_post(lines[start:end], source))
    return posts


def _post_starts(lines: list[str]) -> list[int]:
    """Indexes of unindented full weekday-date lines that are followed by a title line."""
    starts = []
    for i, line in enumerate(lines):
        if not line[:1].isalpha() or not WEEKDAY_DATE_LINE_RE.match(line.strip()):
            continue
        following = [j for j in range(i + 1, min(i + 6, len(lines))) if lines[j].strip()]
        if following and _is_title_line(lines[following[0]]):
            starts.append(i)
    return starts


def _is_title_line(line: str) -> bool:
    stripped = line.strip()
    return (
        line[:1] == stripped[:1]  # not indented
        and 0 < len(stripped) <= 200
        and not stripped.endswith((",", ";"))
        and not WEEKDAY_DATE_LINE_RE.match(stripped)
        and not COMMENTS_HEADER_RE.match(stripped)
    )


def _blog_post(segment: list[str], source: str) -> Post:
    match = WEEKDAY_DATE_LINE_RE.match(segment[0].strip())
    posted = date_from_match(match) if match else None
    j = next(k for k in range(1, len(segment)) if segment[k].strip())
    title = norm_line(segment[j])
    body_lines, comments = split_comments(segment[j + 1 :])
    author = None
    kept = []
    for line in body_lines:
        stripped = norm_line(line)
        if _BLOG_CHROME_RE.match(stripped):
            continue
        by = _POSTED_BY_RE.match(stripped)
        if by and author is None:
            author = by.group("author").strip()
            continue
        kept.append(line)
    return Post(
        source=source,
        title=title,
        body=clean_lines(kept),
        date=posted,
        author=author,
        comments=tuple(comments),
    )
