"""WordPress eXtended RSS (WXR 1.0–1.2): published posts and pages with their approved
comments, threaded.

Privacy, enforced here: drafts, pending, private, trashed, scheduled and password-protected
posts never become a ``Post``; spam, unapproved, trashed comments, pingbacks and trackbacks
never become a ``Comment``; commenter emails, IPs and URLs are never read out of the tree.
Security: no DOCTYPE is accepted (so no entity can be declared: no billion laughs, no
external entities) and nothing is fetched.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.entities import html5

from assistant.ingest.dates import parse_date
from assistant.ingest.exports import display_name as _name
from assistant.ingest.files import SkippedFile
from assistant.ingest.htmlpage import html_text
from assistant.ingest.imported import Imported
from assistant.ingest.threads import Reply, thread
from assistant.ingest.whitespace import norm_line
from assistant.records import Comment, Post

__all__ = [
    "looks_like_wxr",
    "parse_wxr",
    "read_wxr",
]

_WXR_NS_RE = re.compile(r"^https?://wordpress\.org/export/1\.[0-2]/(excerpt/)?$")
_SNIFF_RE = re.compile(r"xmlns:\w+\s*=\s*[\"']https?://wordpress\.org/export/1\.[0-2]/[\"']"
                       r"|<wp:wxr_version>")
_NAMESPACES = {"http://purl.org/rss/1.0/modules/content/": "content",
               "http://purl.org/dc/elements/1.1/": "dc"}
# Prefixes WordPress.com exports use, for declaring the ones a file forgot.
_KNOWN_PREFIXES = {"wp": "https://wordpress.org/export/1.2/",
                   "excerpt": "https://wordpress.org/export/1.2/excerpt/",
                   "content": "http://purl.org/rss/1.0/modules/content/",
                   "dc": "http://purl.org/dc/elements/1.1/",
                   "wfw": "http://wellformedweb.org/CommentAPI/",
                   "atom": "http://www.w3.org/2005/Atom",
                   "georss": "http://www.georss.org/georss",
                   "media": "http://search.yahoo.com/mrss/"}
_CDATA_RE = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.S)
_XML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_DECL_RE = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.I)
_USED_PREFIX_RE = re.compile(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[\w.-]+\s*=")
_DECLARED_RE = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=")
_AMP_RE = re.compile(r"&(?!#\d+;|#x[0-9a-fA-F]+;)([A-Za-z][A-Za-z0-9]*;)?")
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Shortcodes whose content is a media URL, not prose: dropped with it.
_MEDIA_SHORTCODE_RE = re.compile(r"\[(embed|audio|video|playlist)\b[^\]]*\].*?\[/\1\]",
                                 re.S | re.I)
_SHORTCODE_RE = re.compile(r"\[(\[?)/?([A-Za-z][\w-]*)((?:\s[^\]]*)?)/?\](\]?)")
_SHORTCODE_ATTR_RE = re.compile(r"^\s*(?:[\w-]+\s*=|[\"'])")
_CAPTION_ATTR_RE = re.compile(r"\bcaption\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
# Core and Jetpack shortcodes, removed even bare (``[gallery]``); any other name is removed
# only when it has attributes or a closing tag, so "[sic]" and "[simple boat]" stay text.
_SHORTCODES = frozenset({"caption", "wp_caption", "gallery", "embed", "audio", "video",
                         "playlist", "code", "sourcecode", "source", "slideshow", "youtube",
                         "vimeo", "googlemaps", "contact-form", "archives", "tiled-gallery"})
_PRE_RE = re.compile(r"(<pre\b.*?</pre>)", re.S | re.I)
_BLOCK = (r"(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|thead|tbody|tr|td|th|figure"
          r"|figcaption|hr|section|article|aside|header|footer|address|form|br)\b")
_LINE_BREAK_RE = re.compile(rf"(?<!>)\n(?!\s*</?{_BLOCK})", re.I)
_TAG_DOMAINS = frozenset({"", "category", "post_tag", "tag"})
_KEPT_COMMENT_TYPES = frozenset({"", "comment"})
_CHUNK = 1 << 16


def looks_like_wxr(text: str) -> bool:
    """Whether ``text`` is an RSS document in the WordPress export namespace (any version,
    ``http`` or ``https``), whatever its file name says."""
    head = text[:_CHUNK]
    return "<rss" in head and bool(_SNIFF_RE.search(head))


def parse_wxr(text: str, source: str, *, include_drafts: bool = False) -> list[Post]:
    """The published posts and pages of a WXR export (see ``read_wxr``)."""
    return list(read_wxr(text, source, include_drafts=include_drafts).posts)


def read_wxr(text: str, source: str, *, include_drafts: bool = False) -> Imported:
    """Posts, left-out counts and blog title of a WXR export. ``include_drafts`` (the owner's
    setting) keeps drafts too; private and password-protected posts are never kept. Raises
    ``SkippedFile`` for a DOCTYPE or XML that stays broken after repair."""
    reader = _Reader(source, include_drafts)
    in_item = False
    for event, el in _events(_repair(text)):
        key = _key(el.tag)
        if key == "item":
            in_item = event == "start"
            if not in_item:
                reader.item(el)
                el.clear()  # a 20 MB export is never held whole as a tree
        elif event == "end" and not in_item:
            reader.channel(key, el)
    return Imported.of(reader.posts, reader.left_out, reader.blog_title)


def _repair(text: str) -> str:
    """The text made well-formed where WordPress exports are known not to be.

    Outside CDATA only (post HTML is never touched): a prefix used without its declaration
    (``<atom:link>`` in WordPress.com exports of 2009–2012) is declared on ``<rss>``;
    HTML entities XML lacks (``&nbsp;``) become character references; a bare ``&`` becomes
    ``&amp;``. Characters XML forbids are dropped everywhere. Line numbers are kept, so a
    parse error still points at the right line."""
    text = _ILLEGAL_XML_RE.sub("", text)
    parts = _CDATA_RE.split(text)
    for i in range(0, len(parts), 2):  # even parts lie outside CDATA
        parts[i] = _AMP_RE.sub(_fix_amp, _XML_COMMENT_RE.sub(_newlines, parts[i]))
        if _DECL_RE.search(parts[i]):
            raise SkippedFile("a DOCTYPE or ENTITY declaration in a WordPress export: refused "
                              "(entities can expand without bound or read local files, and "
                              "WordPress never writes one); delete the <!DOCTYPE …> block")
    outside = "".join(parts[0::2])
    used = {a or b for a, b in _USED_PREFIX_RE.findall(outside)}
    missing = sorted(used - set(_DECLARED_RE.findall(outside)) - {"xml", "xmlns"})
    text = "".join(parts)
    if missing:
        decls = "".join(f' xmlns:{p}="{_KNOWN_PREFIXES.get(p, "urn:undeclared:" + p)}"'
                        for p in missing)
        text = re.sub(r"<rss\b", lambda m: m.group(0) + decls, text, count=1)
    return text


def _newlines(m: re.Match[str]) -> str:
    return "\n" * m.group(0).count("\n")  # a comment's lines stay, for error positions


def _fix_amp(m: re.Match[str]) -> str:
    name = m.group(1)
    if name is None:
        return "&amp;"
    if name in ("amp;", "lt;", "gt;", "quot;", "apos;"):
        return m.group(0)
    char = html5.get(name)
    return "".join(f"&#{ord(c)};" for c in char) if char else "&amp;" + name


def _events(text: str) -> Iterator[tuple[str, ET.Element]]:
    """Start and end events, fed in slices so that finished items can be cleared."""
    parser = ET.XMLPullParser(events=("start", "end"))
    try:
        for i in range(0, len(text), _CHUNK):
            parser.feed(text[i:i + _CHUNK])
            yield from parser.read_events()
        parser.close()
        yield from parser.read_events()
    except ET.ParseError as exc:
        line, column = exc.position
        raise SkippedFile(f"not well-formed XML at line {line}, column {column} even after "
                          f"repair ({exc.msg}); fix that line or export the site again") from exc


def _key(tag: str) -> str:
    """``wp:post_id`` for ``{https://wordpress.org/export/1.2/}post_id``, whatever the WXR
    version or scheme; plain names stay plain."""
    if not tag.startswith("{"):
        return tag
    uri, _, local = tag[1:].partition("}")
    m = _WXR_NS_RE.match(uri)
    prefix = ("excerpt" if m.group(1) else "wp") if m else _NAMESPACES.get(uri, uri)
    return f"{prefix}:{local}"


def _fields(el: ET.Element) -> dict[str, str]:
    """The first text of each child, by key (one level; empty children give "")."""
    out: dict[str, str] = {}
    for child in el:
        out.setdefault(_key(child.tag), (child.text or "").strip())
    return out


class _Reader:
    """Collects posts and left-out counts item by item."""

    def __init__(self, source: str, include_drafts: bool) -> None:
        self.source = source
        self.statuses = {"publish", "draft"} if include_drafts else {"publish"}
        self.authors: dict[str, str | None] = {}
        self.posts: list[Post] = []
        self.left_out: Counter[str] = Counter()
        self.blog_title = ""

    def channel(self, key: str, el: ET.Element) -> None:
        if key == "wp:author":
            f = _fields(el)
            login = f.get("wp:author_login", "")
            self.authors[login] = _name(f.get("wp:author_display_name", "")) or _name(login)
        elif key == "title" and not self.blog_title:
            self.blog_title = norm_line(html.unescape(el.text or ""))

    def item(self, el: ET.Element) -> None:
        f = _fields(el)
        comments = [c for c in el if _key(c.tag) == "wp:comment"]
        reason = _left_out_reason(f, self.statuses)
        if reason:
            self.left_out[reason] += 1
            if comments:
                self.left_out["comment on a left-out post"] += len(comments)
            return
        url = f.get("link") if f.get("link", "").startswith(("http://", "https://")) else None
        body = _wp_text(f.get("content:encoded", "")) or _wp_text(f.get("excerpt:encoded", ""))
        title = _title(f.get("title", ""), body)
        kept = [c for c in (self._comment(c) for c in comments) if c]
        if not title and not body and not kept:
            self.left_out["empty"] += 1
            return
        login = f.get("dc:creator", "")
        author = self.authors[login] if login in self.authors else _name(login)
        self.posts.append(Post(
            source=self.source, title=title or "Untitled", body=body,
            date=_date(f.get("wp:post_date"), f.get("wp:post_date_gmt"), f.get("pubDate")),
            author=author, url=url,
            comments=_thread(kept, url), tags=_tags(el), status=f.get("wp:status", "publish"),
            guid=f.get("wp:post_id") or None, page=f.get("wp:post_type") == "page"))

    def _comment(self, el: ET.Element) -> _RawComment | None:
        f = _fields(el)
        ctype, approved = f.get("wp:comment_type", ""), f.get("wp:comment_approved", "")
        reason = _comment_reason(ctype, approved)  # before reading text spam may carry
        text = "" if reason else _wp_text(f.get("wp:comment_content", ""))
        reason = reason or (None if text else "empty comment")
        if reason:
            self.left_out[reason] += 1
            return None
        return _RawComment(id=f.get("wp:comment_id", ""), parent=f.get("wp:comment_parent", ""),
                           author=_name(f.get("wp:comment_author", "")),
                           when=_date(f.get("wp:comment_date"), f.get("wp:comment_date_gmt")),
                           order=f.get("wp:comment_date_gmt") or f.get("wp:comment_date", ""),
                           text=text)


def _comment_reason(ctype: str, approved: str) -> str | None:
    """Why a comment is left out: a ping, or not approved ("0", "spam", "trash")."""
    if ctype not in _KEPT_COMMENT_TYPES:
        return ctype if ctype in ("pingback", "trackback") else "other comment type"
    if approved != "1":
        return {"spam": "spam comment", "trash": "trashed comment"}.get(
            approved, "unapproved comment")
    return None


def _left_out_reason(f: dict[str, str], statuses: set[str]) -> str | None:
    kind = f.get("wp:post_type", "post")
    if kind not in ("post", "page"):
        return kind or "unknown post type"
    status = f.get("wp:status", "publish")
    if status not in statuses:
        return status or "no status"
    return "password" if f.get("wp:post_password") else None


@dataclass(frozen=True)
class _RawComment:
    id: str
    parent: str
    author: str | None
    when: date | None
    order: str  # the GMT stamp: WordPress shows a thread in this order
    text: str


def _thread(kept: list[_RawComment], url: str | None) -> tuple[Comment, ...]:
    """The kept comments threaded by ``comment_parent`` (0: the post), in the order
    WordPress shows them (GMT date, then id), each linked to ``url#comment-ID``."""
    return thread([Reply(c.id, c.parent if c.parent not in ("", "0") else None,
                         (c.order, _int(c.id)),
                         Comment(number="", text=c.text, author=c.author, date=c.when,
                                 id=c.id or None,
                                 url=f"{url}#comment-{c.id}" if url and c.id else None))
                   for c in kept])


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _wp_text(content: str) -> str:
    """Post or comment HTML as WordPress stores it to plain text with paragraph breaks."""
    if not content.strip():
        return ""
    content = _XML_COMMENT_RE.sub("", content)  # <!--more-->, <!-- wp:paragraph --> blocks
    content = _strip_shortcodes(content)
    # The classic editor stores paragraphs as blank lines and line breaks as newlines, which
    # WordPress turns into <p> and <br> on display (wpautop): do the same before reading the
    # HTML, outside <pre>, or a whole post would come out as one paragraph.
    parts = _PRE_RE.split(content.replace("\r\n", "\n").replace("\r", "\n"))
    for i in range(0, len(parts), 2):
        parts[i] = _LINE_BREAK_RE.sub("<br>\n", re.sub(r"\n\s*\n", "\n<p>\n", parts[i]))
    return html_text("".join(parts))


def _strip_shortcodes(content: str) -> str:
    """Shortcode tags removed, their enclosed text kept (a caption's text, old-style
    ``caption="…"`` too); ``[[gallery]]`` is WordPress's escape for the literal text."""
    content = _MEDIA_SHORTCODE_RE.sub("", content)
    closed = {m.lower() for m in re.findall(r"\[/([A-Za-z][\w-]*)\]", content)}

    def replace(m: re.Match[str]) -> str:
        escape_open, name, attrs, escape_close = m.groups()
        if escape_open and escape_close:
            return m.group(0)[1:-1]
        lname = name.lower()
        if not (lname in _SHORTCODES or lname in closed or _SHORTCODE_ATTR_RE.match(attrs)):
            return m.group(0)
        caption = _CAPTION_ATTR_RE.search(attrs) if lname.endswith("caption") else None
        text = html.unescape(caption.group(1) or caption.group(2) or "") if caption else ""
        inner = f" {html.escape(text)} " if text else ""
        return escape_open + inner + escape_close  # a lone "[" of "[[x]" stays

    return _SHORTCODE_RE.sub(replace, content)


def _title(raw: str, body: str) -> str:
    """The title as a reader sees it (markup read, entities decoded); an empty one from the
    body's first line, cut at a word near 60 characters."""
    title = norm_line(" ".join(html_text(raw).split("\n")) if "<" in raw
                      else html.unescape(raw))
    if title or not body:
        return title
    first = body.split("\n", 1)[0]
    return first if len(first) <= 60 else first[:60].rsplit(" ", 1)[0] + " …"


def _date(*stamps: str | None) -> date | None:
    """The first stamp that is a real date (WordPress writes 0000-00-00 for none)."""
    for stamp in stamps:
        found = parse_date(stamp) if stamp else None
        if found:
            return found
    return None


def _tags(item: ET.Element) -> tuple[str, ...]:
    """Category and tag names, once each in file order (WXR 1.0 lists some twice)."""
    names: dict[str, str] = {}
    for el in item:
        if _key(el.tag) == "category" and el.get("domain", "") in _TAG_DOMAINS:
            name = norm_line(html.unescape(el.text or ""))
            if name:
                names.setdefault(name.casefold(), name)  # category "Markup", tag "markup"
    return tuple(names.values())
