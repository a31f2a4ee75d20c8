"""Reader comments as blog exports print them: ``N comments:``, then numbered, nested entries."""

from __future__ import annotations

import re
from datetime import date

from assistant.ingest.dates import DMY, MDY, date_from_match
from assistant.ingest.signatures import comment_signature
from assistant.ingest.whitespace import clean_lines, norm_line, word_count
from assistant.records import Comment

__all__ = [
    "COMMENTS_HEADER_RE",
    "split_comments",
]

COMMENTS_HEADER_RE = re.compile(r"^(?:\d+|no|one) comments?:$", re.IGNORECASE)
_MARKER_RE = re.compile(r"^(?P<indent> *)(?P<num>\d{1,4})\.(?:\s+(?P<rest>.*))?$")
_NOISE_LINES = frozenset({"ReplyDelete", "Delete", "Reply", "Replies"})
_REMOVED_COMMENT = "this comment has been removed by"
_AUTHOR_STAMP_RE = re.compile(
    rf"^(?P<author>.{{0,60}}?)\s*(?:{DMY}|{MDY})(?:,?\s+at)?\s+\d{{1,2}}[:.]\d{{2}}"
    r"(?:\s*[ap]\.?m\.?)?$",
    re.IGNORECASE,
)


def split_comments(lines: list[str]) -> tuple[list[str], list[Comment]]:
    """Body lines before an unindented ``N comments:`` line, and the parsed comments after it."""
    for k, line in enumerate(lines):
        if line[:1].isalnum() and COMMENTS_HEADER_RE.match(line.strip()):
            return lines[:k], _parse_comments(lines[k + 1 :])
    return lines, []


def _parse_comments(lines: list[str]) -> list[Comment]:
    """Numbered comments; replies are one indent step deeper, under a ``Replies`` line."""
    markers = [m for line in lines if (m := _MARKER_RE.match(line.rstrip()))]
    if not markers:
        return []
    base = len(markers[0].group("indent"))
    threads: list[tuple[str, list[str]]] = []
    top = reply = 0
    in_replies = False
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if stripped in _NOISE_LINES:
            in_replies = in_replies or stripped == "Replies"
            continue
        m = _MARKER_RE.match(line)
        indent = len(m.group("indent")) if m else -1
        if m and indent == base:
            top, reply, in_replies = top + 1, 0, False
            threads.append((str(top), [m.group("rest") or ""]))
        elif m and indent == base + 2 and in_replies and top:
            reply += 1
            threads.append((f"{top}.{reply}", [m.group("rest") or ""]))
        elif threads:
            threads[-1][1].append(line)
    comments = []
    for number, text_lines in threads:
        comment = _make_comment(number, text_lines)
        if comment:
            comments.append(comment)
    return comments


def _make_comment(number: str, lines: list[str]) -> Comment | None:
    author: str | None = None
    posted: date | None = None
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    for i in nonblank[:3]:  # Blogger puts "Author6 June 2019 at 07:02" near the top
        m = _AUTHOR_STAMP_RE.match(norm_line(lines[i]))
        if m and word_count(m.group("author")) <= 5:
            author = m.group("author").strip(" -–—:") or None
            posted = date_from_match(m)
            lines = lines[:i] + lines[i + 1 :]
            break
    text = clean_lines(lines)
    if not text or text.lower().startswith(_REMOVED_COMMENT):
        return None
    if author is None:
        author = comment_signature(text)
    return Comment(number=number, text=text, author=author, date=posted)
