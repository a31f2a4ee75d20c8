"""HTML pages: visible text (scripts, navigation, headers and footers dropped) and metadata
(``<title>``, the first ``<h1>``, ``<time>``, ``<meta>``, the canonical link)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from assistant.ingest.dates import find_date, parse_date
from assistant.ingest.whitespace import clean_lines, norm_line
from assistant.records import Post

__all__ = [
    "html_text",
    "looks_like_html",
    "parse_html",
]

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
# Inline markup that hides an element: its text is for machines only (an injection's hiding
# place), so it never reaches a chunk. Hiding done by a stylesheet class cannot be seen here.
_HIDDEN_STYLE_RE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)"
    r"|(?:font-size|opacity)\s*:\s*0(?:\.0*)?(?:px|em|rem|pt|%)?\s*(?:[;!]|$)", re.I)
_DATE_META = ("article:published_time", "og:published_time", "date", "dc.date", "dcterms.date",
              "pubdate", "datepublished")  # fmt: skip


def looks_like_html(text: str) -> bool:
    """Whether ``text`` opens as an HTML document (whatever its file name says)."""
    return bool(_HTML_SNIFF_RE.match(text))


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
        self._hidden_from: int | None = None  # skip depth of the outermost hidden element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag not in _HTML_VOID and (self.skip or tag in _HTML_SKIP or _hidden(a)):
            # Inside a skipped element every element is counted, so that the end tag of one
            # nested in it ("<div hidden><div>…</div>still hidden</div>") cannot end the skip.
            if self._hidden_from is None and _hidden(a):
                self._hidden_from = len(self.skip)  # a hidden <h1> is no title either
            self.skip.append(tag)
        self._note_metadata(tag, a)
        if tag in _HTML_VOID:
            self._break(tag)
            return
        if tag == "pre":
            self._pre += 1
        self._break(tag)
        if tag == "li" and not self.skip:
            self.parts.append("• ")

    def _note_metadata(self, tag: str, a: dict[str, str]) -> None:
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
        elif tag == "h1" and not self._h1_done and self._hidden_from is None:
            self._in_h1 = True

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
            if self._hidden_from is not None and len(self.skip) <= self._hidden_from:
                self._hidden_from = None
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


def _hidden(a: dict[str, str]) -> bool:
    """Whether an element's attributes hide it (``hidden``, ``aria-hidden``, inline style)."""
    return ("hidden" in a or a.get("aria-hidden", "").lower() == "true"
            or bool(_HIDDEN_STYLE_RE.search(a.get("style", ""))))


def _read(text: str) -> _HTMLText:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    return parser


def html_text(fragment: str) -> str:
    """The visible text of an HTML fragment, as clean lines and paragraphs; a list item with
    no text (an ``<li>`` holding only an image) leaves no bare bullet behind."""
    lines = "".join(_read(fragment).parts).split("\n")
    return clean_lines([line for line in lines if line.strip() != "•"])


def parse_html(text: str, source: str) -> list[Post]:
    """One post from an HTML page; the title prefers the ``<h1>`` the ``<title>`` contains."""
    parser = _read(text)
    body = clean_lines("".join(parser.parts).split("\n"))
    page_title = norm_line("".join(parser.title))
    h1 = norm_line("".join(parser.h1))
    meta = parser.meta
    if h1 and (not page_title or h1 in page_title):
        title = h1  # "<title>Headline | Site</title>" with <h1>Headline</h1>
    else:
        title = page_title or norm_line(meta.get("og:title", ""))
    first, _, rest = body.partition("\n")
    if not title:
        title, body = first.strip(), rest.strip()
    elif first.strip() == title:
        body = rest.strip()
    if not title and not body:
        return []
    stamp = parser.time or next((meta[k] for k in _DATE_META if meta.get(k)), None)
    author = meta.get("author") or meta.get("article:author") or None
    if author and author.startswith(("http://", "https://")):
        author = None
    return [
        Post(
            source=source,
            title=title,
            body=body,
            date=(parse_date(stamp) if stamp else None) or find_date(body),
            author=author,
            url=parser.canonical or meta.get("og:url") or None,
        )
    ]
