"""Markdown (optional front matter) to a post, through markdown-it-py's CommonMark parser
with GitHub's tables and strikethrough: the text of every block, without its markup."""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import TYPE_CHECKING

from assistant.ingest.dates import find_date, parse_date
from assistant.ingest.frontmatter import front_matter
from assistant.ingest.htmlpage import html_text
from assistant.ingest.imported import Imported
from assistant.ingest.templates import strip_templates
from assistant.ingest.whitespace import clean_lines, norm_line
from assistant.records import Post

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = [
    "markdown_text",
    "parse_markdown",
    "post_slug",
    "read_markdown",
]

# Closing these ends a paragraph of the text; a tight list's hidden paragraphs do not.
_BLOCK_ENDS = frozenset({"paragraph_close", "heading_close", "blockquote_close", "table_close",
                         "hr", "fence", "code_block", "html_block"})  # fmt: skip
# Jekyll expands Liquid before Markdown, so "[text]({% post_url x %})" is a link there; read
# as CommonMark, the tag's spaces leave the whole link as literal text (31 of the 39 Jekyll
# posts in ../shared/real-exports have one). A link target is never text: it becomes "#".
_LIQUID = r"\{[{%].*?[}%]\}"
_LIQUID_TARGET_RE = re.compile(
    rf"(\]\(|^ {{0,3}}\[[^\]\n]+\]:[ \t]*){_LIQUID}(?:{_LIQUID}|[^\s)])*", re.MULTILINE
)
# Jekyll's "_posts/2014-02-09-basics.md": the date (front matter often has none: 39 of the 39
# real Jekyll posts) and the slug its comments are filed under (_data/comments/basics/)
_DATED_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")
_YES = frozenset({"true", "yes", "on", "1"})
_NO = frozenset({"false", "no", "off", "0"})
_INLINE_TEXT = frozenset({"text", "text_special", "code_inline"})
_INLINE_BREAKS = frozenset({"softbreak", "hardbreak"})


@functools.cache
def _parser() -> MarkdownIt:
    """One parser per process, built on first use (markdown-it is imported only then)."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    # Link targets are dropped, so normalising them (percent-encoding, punycode) is wasted:
    # it was a quarter of the parse time on link-heavy files (a 450 KB changelog: 7.8 -> 5.9 s
    # under the profiler). validateLink still refuses javascript: targets.
    parser.normalizeLink = _same  # type: ignore[method-assign]
    return parser


def _same(url: str) -> str:
    return url


def _inline(tokens: list[Token]) -> str:
    """Inline text: emphasis, links and tags dropped, an image replaced by its alt text."""
    parts = []
    for tok in tokens:
        if tok.type in _INLINE_TEXT:
            parts.append(tok.content)
        elif tok.type in _INLINE_BREAKS:
            parts.append("\n")
        elif tok.type == "image":
            parts.append(_inline(tok.children or []))
    return "".join(parts)


def _inline_text(text: str) -> str:
    """A line of inline Markdown (a front-matter title) as text."""
    if not text:
        return ""
    (line,) = _parser().parseInline(text)
    return _inline(line.children or []).strip()


class _Lines:
    """Walks the block tokens, collecting text lines and the first level-1 heading."""

    def __init__(self, take_h1: bool) -> None:
        self.lines: list[str] = []
        self.h1: str | None = None
        self._take_h1 = take_h1
        self._prefix = ""  # the bullet or number of a list item, for its first line
        self._heading = ""
        self._lists = 0
        self._row: list[str] | None = None

    def walk(self, tokens: list[Token]) -> None:
        for tok in tokens:
            self._token(tok)
            if tok.type in _BLOCK_ENDS and not tok.hidden:
                self.lines.append("")

    def _token(self, tok: Token) -> None:
        kind = tok.type
        if kind == "inline":
            self._text(_inline(tok.children or []))
        elif kind == "heading_open":
            self._heading = tok.tag
        elif kind in ("bullet_list_open", "ordered_list_open"):
            self._lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self._lists -= 1
            if not self._lists:  # a nested list ends inside its item: no paragraph break
                self.lines.append("")
        elif kind == "list_item_open":
            self._prefix = f"{tok.info}{tok.markup} " if tok.info else "• "
        elif kind in ("fence", "code_block"):
            self.lines.extend(tok.content.split("\n"))  # code stays as written
        elif kind == "html_block":
            self.lines.extend(html_text(tok.content).split("\n"))
        else:
            self._table(kind)

    def _table(self, kind: str) -> None:
        """A table row becomes one line, its cells separated by `` | ``."""
        if kind == "tr_open":
            self._row = []
        elif kind == "tr_close" and self._row is not None:
            self.lines.append(" | ".join(self._row))
            self._row = None

    def _text(self, text: str) -> None:
        if self._row is not None:
            self._row.append(" ".join(text.split()))
        elif self._heading == "h1" and self._take_h1 and self.h1 is None:
            self.h1 = norm_line(text)
        else:
            self.lines.extend((self._prefix + text).split("\n"))
        self._prefix = self._heading = ""


def markdown_text(text: str, take_h1: bool = False) -> tuple[str | None, str]:
    """The text of a Markdown document; with ``take_h1``, its first level-1 heading is taken
    out of the text and returned first (None when it has none)."""
    walker = _Lines(take_h1)
    walker.walk(_parser().parse(_LIQUID_TARGET_RE.sub(r"\1#", text)))
    return walker.h1, clean_lines(walker.lines)


def post_slug(source: str) -> str:
    """The slug of a post file: its name without suffix and leading ``YYYY-MM-DD-``."""
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    dated = _DATED_NAME.match(stem)
    return dated.group(4) if dated else stem


def _name_date(source: str) -> date | None:
    dated = _DATED_NAME.match(source.rsplit("/", 1)[-1])
    if not dated:
        return None
    try:
        return date(*map(int, dated.groups()[:3]))
    except ValueError:
        return None


def parse_markdown(text: str, source: str) -> list[Post]:
    """The post of a Markdown file (none for a draft): see ``read_markdown``."""
    return list(read_markdown(text, source).posts)


def read_markdown(text: str, source: str, *, include_drafts: bool = False) -> Imported:
    """One post; the title comes from front matter, else the first ``#`` heading, else the
    first line; the date from front matter, else the file name (Jekyll's
    ``2014-02-09-basics.md``), else the text. Template tags are stripped
    (``templates``); a draft (``draft: true``, ``published: false``) is left out unless
    ``include_drafts``."""
    meta, text = front_matter(text)
    draft = meta.get("draft", "").lower() in _YES or meta.get("published", "").lower() in _NO
    if draft and not include_drafts:
        return Imported.of((), {"draft": 1})
    title = " ".join(_inline_text(strip_templates(meta.get("title", ""))).split())
    h1, body = markdown_text(strip_templates(text), take_h1=not title)
    title = title or h1 or ""
    if not title:
        first, _, body = body.partition("\n")
        title, body = first.strip(), body.strip()
    if not title and not body:
        return Imported(())
    tags = ", ".join(v for v in (meta.get("tags", ""), meta.get("categories", "")) if v)
    return Imported.of([
        Post(
            source=source,
            title=title,
            body=body,
            date=(parse_date(meta["date"]) if meta.get("date") else None)
            or _name_date(source) or find_date(body),
            author=meta.get("author") or None,
            url=meta.get("url") or meta.get("link") or meta.get("permalink") or None,
            tags=tuple(dict.fromkeys(t.strip() for t in tags.split(",") if t.strip())),
        )
    ])
