"""Posts and their reader comments, parsed from the files of a corpus folder.

Formats: the blog-text export (weekday date line, title, body, ``N comments:`` with numbered,
nested comments), saved web pages as text, Markdown (optional front matter), HTML and plain
text. Everything here is pure and cheap: nothing happens at import time.
"""

from __future__ import annotations

import codecs
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from assistant.records import Comment, Post

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SkippedFile",
    "parse_file",
    "parse_text",
    "signed_sections",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".text", "")


class SkippedFile(Exception):
    """A file that cannot be indexed; ``str(exc)`` is a one-line reason for the report."""


# --------------------------------------------------------------------------- file level

_SNIFF_BYTES = 8192
_CONTROL_SHARE = 0.05  # more control characters than this in the first 8 KB: binary
_MIB = 1024 * 1024


def parse_file(path: Path, source: str, max_bytes: int = 20 * 1024 * 1024) -> list[Post]:
    """Read and parse one file. Raises ``SkippedFile`` for empty, binary, oversized files."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkippedFile(f"unsupported file type {suffix}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkippedFile(f"too large: {_fmt_size(size)} > {_fmt_size(max_bytes)} limit")
        data = path.read_bytes()
    except OSError as exc:
        raise SkippedFile(f"unreadable: {exc.strerror or exc.__class__.__name__}") from exc
    if len(data) > max_bytes:  # grew since stat()
        raise SkippedFile(f"too large: {_fmt_size(len(data))} > {_fmt_size(max_bytes)} limit")
    if not data:
        raise SkippedFile("empty file")
    text = _decode(data)
    if not text.strip():
        raise SkippedFile("empty file (whitespace only)")
    posts = parse_text(text, source, suffix)
    if not posts:
        raise SkippedFile("no text found")
    return posts


def parse_text(text: str, source: str, suffix: str = ".txt") -> list[Post]:
    """Parse decoded text; ``suffix`` picks the format (.txt, .md, .html)."""
    suffix = suffix.lower()
    if suffix and not suffix.startswith("."):
        suffix = "." + suffix
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkippedFile(f"unsupported file type {suffix}")
    text = _prepare(text)
    if not text.strip():
        return []
    if suffix in (".html", ".htm") or _HTML_SNIFF_RE.match(text):
        return _parse_html(text, source)
    if suffix in (".md", ".markdown") or _front_matter(text)[0]:
        return _parse_markdown(text, source)
    return _parse_blog_text(text, source)


def _fmt_size(n: int) -> str:
    """``25.3 MB``, ``20 MB``, ``12 KB``, ``300 bytes``."""
    for unit, scale in (("MB", _MIB), ("KB", 1024)):
        if n >= scale:
            value = f"{n / scale:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{n} bytes"


def _decode(data: bytes) -> str:
    """Bytes to text: BOMs honoured, bad UTF-8 repaired (or read as cp1252), binary refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data[:_SNIFF_BYTES]:
        raise SkippedFile("binary file")
    else:
        data = data.removeprefix(codecs.BOM_UTF8)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            bad = text.count("\ufffd") - data.count("\ufffd".encode())
            good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
            if bad > good:  # mostly single high bytes: a legacy 8-bit file, not broken UTF-8
                text = data.decode("cp1252", errors="replace")
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or ch == "\x7f")
    if sample and controls / len(sample) > _CONTROL_SHARE:
        raise SkippedFile("binary file")
    return text


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _prepare(text: str) -> str:
    """Strip a BOM, unify newlines, drop stray control characters."""
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x0c", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROL_RE.sub("", text)


# --------------------------------------------------------------------------- whitespace

_SPACE_RE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_BULLET_RE = re.compile(r"^[•●▪◦‣∙·]\s*")


def _norm_line(line: str) -> str:
    """One line with odd spaces unified, runs collapsed, ends trimmed, bullets tidied."""
    line = _SPACE_RE.sub(" ", _INVISIBLE_RE.sub("", line)).strip()
    return _BULLET_RE.sub("• ", line) if _BULLET_RE.match(line) else line


def _clean_lines(lines: list[str]) -> str:
    """Normalised lines; paragraphs separated by exactly one blank line."""
    out: list[str] = []
    for raw in lines:
        line = _norm_line(raw)
        if line:
            out.append(line)
        elif out and out[-1]:
            out.append("")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _words(line: str) -> int:
    return len(line.split())


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_DMY = rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH}),?\s+(?P<y1>\d{{4}})"
_MDY = rf"(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
_ISO = r"(?P<y3>\d{4})[-/](?P<m3>\d{1,2})[-/](?P<d3>\d{1,2})"
_DATE_IN_TEXT_RE = re.compile(rf"(?<![\w-])(?:{_DMY}|{_MDY}|{_ISO})(?![\w-])", re.IGNORECASE)
_DATE_LINE_RE = re.compile(rf"^{_WEEKDAY},?\s+(?:{_DMY}|{_MDY})$", re.IGNORECASE)


def _date_from_match(m: re.Match[str]) -> date | None:
    g = m.groupdict()
    try:
        if g.get("y3"):
            return date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        day, month, year = (
            (g["d1"], g["m1"], g["y1"]) if g.get("d1") else (g["d2"], g["m2"], g["y2"])
        )
        return date(int(year), _MONTHS[month[:3].lower()], int(day))
    except (ValueError, KeyError):
        return None


def _find_date(text: str) -> date | None:
    """The first explicit, valid full date written in ``text`` (day, month and year)."""
    for m in _DATE_IN_TEXT_RE.finditer(text):
        found = _date_from_match(m)
        if found:
            return found
    return None


def _parse_date(value: str) -> date | None:
    """A metadata date: ISO (``2019-06-06T07:02Z``) or any written full date."""
    value = value.strip().strip("'\"")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return _find_date(value)


# --------------------------------------------------------------------------- blog text

_COMMENTS_HEADER_RE = re.compile(r"^(?:\d+|no|one) comments?:$", re.IGNORECASE)
_MARKER_RE = re.compile(r"^(?P<indent> *)(?P<num>\d{1,4})\.(?:\s+(?P<rest>.*))?$")
_NOISE_LINES = frozenset({"ReplyDelete", "Delete", "Reply", "Replies"})
_REMOVED_COMMENT = "this comment has been removed by"
_BLOG_CHROME_RE = re.compile(
    r"^(?:Email This\s*BlogThis!.*|Share to (?:Twitter|Facebook|Pinterest).*|Share this post"
    r"|Newer Post\s*Older Post(?:\s*Home)?|Subscribe to:\s*Post Comments.*|Post a Comment)$",
    re.IGNORECASE,
)
_POSTED_BY_RE = re.compile(r"^Posted by (?P<author>.{1,60}?) (?:at|on) .{1,40}$", re.IGNORECASE)
_AUTHOR_STAMP_RE = re.compile(
    rf"^(?P<author>.{{0,60}}?)\s*(?:{_DMY}|{_MDY})(?:,?\s+at)?\s+\d{{1,2}}[:.]\d{{2}}"
    r"(?:\s*[ap]\.?m\.?)?$",
    re.IGNORECASE,
)


def _parse_blog_text(text: str, source: str) -> list[Post]:
    """Blog-text export: posts start at a weekday date line followed by a title line."""
    lines = text.split("\n")
    starts = _post_starts(lines)
    if not starts:
        return _parse_undated(lines, source)
    posts: list[Post] = []
    preamble = lines[: starts[0]]
    if sum(_words(line) for line in preamble) >= 20:  # real text before the first post
        posts.extend(_parse_undated(preamble, source))
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(lines)
        posts.append(_blog_post(lines[start:end], source))
    return posts


def _post_starts(lines: list[str]) -> list[int]:
    """Indexes of unindented full weekday-date lines that are followed by a title line."""
    starts = []
    for i, line in enumerate(lines):
        if not line[:1].isalpha() or not _DATE_LINE_RE.match(line.strip()):
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
        and not _DATE_LINE_RE.match(stripped)
        and not _COMMENTS_HEADER_RE.match(stripped)
    )


def _blog_post(segment: list[str], source: str) -> Post:
    match = _DATE_LINE_RE.match(segment[0].strip())
    posted = _date_from_match(match) if match else None
    j = next(k for k in range(1, len(segment)) if segment[k].strip())
    title = _norm_line(segment[j])
    body_lines, comments = _split_comments(segment[j + 1 :])
    author = None
    kept = []
    for line in body_lines:
        stripped = _norm_line(line)
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
        body=_clean_lines(kept),
        date=posted,
        author=author,
        comments=tuple(comments),
    )


def _split_comments(lines: list[str]) -> tuple[list[str], list[Comment]]:
    """Body lines before an unindented ``N comments:`` line, and the parsed comments after it."""
    for k, line in enumerate(lines):
        if line[:1].isalnum() and _COMMENTS_HEADER_RE.match(line.strip()):
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
        m = _AUTHOR_STAMP_RE.match(_norm_line(lines[i]))
        if m and _words(m.group("author")) <= 5:
            author = m.group("author").strip(" -–—:") or None
            posted = _date_from_match(m)
            lines = lines[:i] + lines[i + 1 :]
            break
    text = _clean_lines(lines)
    if not text or text.lower().startswith(_REMOVED_COMMENT):
        return None
    if author is None:
        author = _signature(text)
    return Comment(number=number, text=text, author=author, date=posted)


_SIGNATURE_RE = re.compile(r"^[A-Za-z][a-z'’-]*[A-Za-z]?(?: [A-Z][a-z'’-]*[A-Za-z]?)?$")
_NOT_NAMES_TEXT = """
    anon anonymous thanks thank thankyou ta cheers regards best wishes kind warm love good luck
    dear hi hello hey greetings yours sincerely faithfully truly
    well done great yes no nope yep yeah ok okay agreed agree indeed exactly absolutely quite true
    sad shameful shame disgraceful disgusting lol haha ha hmm sigh wow amen sorry rubbish nonsense
    discuss discussion enough really seriously whatever ditto likewise same here there correct
    right wrong brilliant excellent interesting outrageous typical unbelievable ridiculous
    please help contd continued cont part end ends fin update edit source link read watch listen
    happy merry christmas easter new year all everyone folks colleagues comrades solidarity
    probation napo unison the a an and or but so not you me we us them it this that
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _signature(text: str) -> str | None:
    """A sign-off name on the comment's last line, or None when unsure."""
    paragraphs = text.split("\n\n")
    if len(paragraphs) < 2 or "\n" in paragraphs[-1]:
        return None
    name = paragraphs[-1].strip().lstrip("'‘’\"“-–—~ ").removesuffix(".").strip()
    if not (2 <= len(name) <= 30) or not _SIGNATURE_RE.match(name):
        return None
    words = name.split()
    if any(w.lower().strip("'’") in _NOT_NAMES for w in words):
        return None
    if len(words) == 2 and not words[0][0].isupper():
        return None
    return name


# --------------------------------------------------------------------------- signed sections

_NAME_WORD_RE = re.compile(r"^[A-Z][a-z'’-]+$|^[A-Z]\.?$|^(?:Mc|Mac|O’|O')[A-Z][a-z]+$")
_SECTION_MIN_WORDS = 60  # a sign-off closes a section only after this much prose


def _sign_off(paragraph: str, lowercase_words: set[str]) -> str | None:
    """The name in a sign-off paragraph ("David Raho", or a name over a role line), or None.

    A name is two or three capitalised words, none of which the post uses in lower case
    elsewhere: that keeps headings such as "Transformation Update" from passing as names.
    """
    lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
    if not 1 <= len(lines) <= 3 or sum(_words(line) for line in lines) > 14:
        return None
    name = lines[0].strip(" -–—~").removesuffix(".").removesuffix(",")
    words = name.split()
    if not 2 <= len(words) <= 3 or not all(_NAME_WORD_RE.match(w) for w in words):
        return None
    if any(w.lower().strip("'’.") in _NOT_NAMES or w.lower() in lowercase_words for w in words):
        return None
    if any(line.endswith((".", "?", "!", ":")) and _words(line) > 4 for line in lines[1:]):
        return None  # a role line is a label, not a sentence
    return name


def signed_sections(post: Post) -> list[tuple[str, str | None]]:
    """The post body cut after each sign-off, as ``(text, signed_by)`` in order.

    Blogs quote letters, statements and guest pieces that end with their writer's name on a
    line of its own (often over a role: "Ian Lawrence / Napo General Secretary"). Each such
    section is attributed to that writer; text that no sign-off closes gets ``post.author``.
    """
    corpus_text = "\n".join([post.body, *(c.text for c in post.comments)])
    lowercase_words = {w for w in re.findall(r"\b[a-z][a-z'’-]+\b", corpus_text)}
    sections: list[tuple[str, str | None]] = []
    current: list[str] = []
    prose_words = 0
    for paragraph in re.split(r"\n\s*\n", post.body):
        if not paragraph.strip():
            continue
        signer = _sign_off(paragraph, lowercase_words) if prose_words >= _SECTION_MIN_WORDS \
            else None
        current.append(paragraph.strip())
        if signer:
            sections.append(("\n\n".join(current), signer))
            current, prose_words = [], 0
        else:
            prose_words += _words(paragraph)
    if current:
        sections.append(("\n\n".join(current), post.author))
    return sections


# --------------------------------------------------------------------------- undated text

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
    words = _words(line)
    if len(line) >= 200:
        return True
    if words >= 6 and end.endswith((".", ":", ";", "…")):
        return True
    return words >= 12 and end.endswith(("?", "!"))


def _is_heading(line: str) -> bool:
    return (
        2 <= _words(line) <= 30
        and len(line) <= 200
        and not line.rstrip("\"'”’)]").endswith((".", ",", ";", ":", "…"))
        and not _is_chrome(line)
        and not _TAIL_RE.match(line)
        and not _BYLINE_RE.match(line)
        and not line.startswith(("• ", "http://", "https://", "www."))
        and not _DATE_IN_TEXT_RE.fullmatch(line)
    )


def _parse_undated(lines: list[str], source: str) -> list[Post]:
    """Text without date lines: a saved web page (chrome removed) or a plain note."""
    body_lines, comments = _split_comments(lines)
    clean = [_norm_line(line) for line in body_lines]
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
        title_i, rest = _web_title(clean, filled)
        title = clean[title_i]
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
        body = _clean_lines(kept)
    else:
        title = clean[filled[0]]
        rest = clean[filled[0] + 1 :]
        if len(title) > 150:  # one long first line: keep it in the body, shorten the title
            rest = clean[filled[0] :]
            title = title[:120].rsplit(" ", 1)[0] + "…"
        body = _clean_lines(rest)
    return [
        Post(
            source=source,
            title=title,
            body=body,
            date=_find_date(f"{title}\n{body}"),
            author=author,
            comments=tuple(comments),
        )
    ]


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


# --------------------------------------------------------------------------- Markdown

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FM_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_ATX_RE = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_HR_RE = re.compile(r"^ {0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_REF_DEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_INLINE = (
    (re.compile(r"<!--.*?-->", re.DOTALL), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-like ``key: value`` front matter (flat keys only) and the text after it."""
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        return {}, text
    meta: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        kv = _FM_KEY_RE.match(line)
        if kv:
            value = kv.group(2).strip().strip("[]").strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            meta.setdefault(kv.group(1).lower(), value)
    if not meta.keys() & {"title", "date", "author", "url"}:
        return {}, text
    return meta, text[m.end() :]


def _md_inline(line: str) -> str:
    for pattern, repl in _MD_INLINE:
        line = pattern.sub(repl, line)
    return line


def _parse_markdown(text: str, source: str) -> list[Post]:
    meta, text = _front_matter(text)
    text = _MD_INLINE[0][0].sub("", text)  # HTML comments may span lines
    lines: list[str] = []
    title = _md_inline(meta.get("title", "")).strip()
    in_code = False
    raw = text.split("\n")
    for i, line in enumerate(raw):
        if _FENCE_RE.match(line):
            in_code = not in_code
            continue
        if in_code:
            lines.append(line)
            continue
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        if _SETEXT_RE.match(line) and lines and lines[-1].strip():
            continue  # underline of a setext heading
        if _HR_RE.match(line) or _REF_DEF_RE.match(line) or _TABLE_RULE_RE.match(line):
            lines.append("")
            continue
        heading = _ATX_RE.match(line)
        is_h1 = bool(heading and len(heading.group(1)) == 1) or (
            line.strip() and nxt.strip().startswith("=") and _SETEXT_RE.match(nxt)
        )
        content = heading.group(2) if heading else line
        content = re.sub(r"^\s*(?:>\s?)+", "", content)
        content = re.sub(r"^\s*[-*+]\s+", "• ", content)
        content = _md_inline(content)
        if is_h1 and not title:
            title = _norm_line(content)
            continue
        lines.append(content)
    body = _clean_lines(lines)
    if not title:
        first, _, body = body.partition("\n")
        title, body = first.strip(), body.strip()
    if not title and not body:
        return []
    return [
        Post(
            source=source,
            title=title,
            body=body,
            date=_parse_date(meta["date"]) if meta.get("date") else _find_date(body),
            author=meta.get("author") or None,
            url=meta.get("url") or meta.get("link") or meta.get("permalink") or None,
        )
    ]


# --------------------------------------------------------------------------- HTML

_HTML_SNIFF_RE = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!doctype\s+html|<html[\s>])", re.I)
_HTML_SKIP = frozenset(
    {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "head",
     "svg", "iframe", "object", "canvas", "button", "select"}
)  # fmt: skip
_HTML_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
_HTML_BLOCK = frozenset(
    {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "pre", "table", "ul", "ol", "dl", "figure", "figcaption", "hr", "address", "details",
     "summary", "body"}
)  # fmt: skip
_HTML_LINE = frozenset({"br", "tr", "dt", "dd", "li"})


class _HTMLText(HTMLParser):
    """Collects visible text, the <title>, the first <h1>, <time> and <meta> values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []
        self.title: list[str] = []
        self.h1: list[str] = []
        self.meta: dict[str, str] = {}
        self.time: str | None = None
        self.canonical: str | None = None
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("name") or a.get("property") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, a["content"].strip())
        elif tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.canonical = self.canonical or a["href"].strip()
        elif tag == "time" and self.time is None and a.get("datetime"):
            self.time = a["datetime"]
        elif tag == "title":
            self._in_title = True
        elif tag == "h1" and not self._h1_done:
            self._in_h1 = True
        if tag in _HTML_VOID:
            self._break(tag)
            return
        if tag in _HTML_SKIP:
            self.skip.append(tag)
        if tag == "pre":
            self._pre += 1
        self._break(tag)
        if tag == "li" and not self.skip:
            self.parts.append("• ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP and tag not in _HTML_VOID:
            return  # <nav/> has no content
        self.handle_starttag(tag, attrs)
        if tag not in _HTML_VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "h1" and self._in_h1:
            self._in_h1, self._h1_done = False, True
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in self.skip:
            while self.skip and self.skip.pop() != tag:
                pass
        if tag not in _HTML_LINE:  # a line break opens <li>, <tr>, <dt>, <dd>; none closes them
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        if self._in_h1:
            self.h1.append(data)
        if self.skip or self._in_title:
            return
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))

    def _break(self, tag: str) -> None:
        if self.skip:
            return
        if tag in _HTML_BLOCK:
            self.parts.append("\n\n")
        elif tag in _HTML_LINE:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")


def _parse_html(text: str, source: str) -> list[Post]:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    body = _clean_lines("".join(parser.parts).split("\n"))
    page_title = _norm_line("".join(parser.title))
    h1 = _norm_line("".join(parser.h1))
    meta = parser.meta
    if h1 and (not page_title or h1 in page_title):
        title = h1  # "<title>Headline | Site</title>" with <h1>Headline</h1>
    else:
        title = page_title or _norm_line(meta.get("og:title", ""))
    first, _, rest = body.partition("\n")
    if not title:
        title, body = first.strip(), rest.strip()
    elif first.strip() == title:
        body = rest.strip()
    if not title and not body:
        return []
    stamp = parser.time or next(
        (meta[k] for k in ("article:published_time", "og:published_time", "date",
                           "dc.date", "dcterms.date", "pubdate", "datepublished") if meta.get(k)),
        None,
    )  # fmt: skip
    author = meta.get("author") or meta.get("article:author") or None
    if author and author.startswith(("http://", "https://")):
        author = None
    return [
        Post(
            source=source,
            title=title,
            body=body,
            date=(_parse_date(stamp) if stamp else None) or _find_date(body),
            author=author,
            url=parser.canonical or meta.get("og:url") or None,
        )
    ]
