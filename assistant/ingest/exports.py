"""What the blog-export importers share: XML sniffed by its root element and parsed safely,
export HTML read as text, a sort key for export time stamps, display names that are never
email addresses, a title made from the body's first words or the page's address. (Blogger,
Disqus and feeds use them; WXR its name check.)"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from assistant.ingest.dates import parse_date
from assistant.ingest.files import SkippedFile
from assistant.ingest.htmlpage import html_text
from assistant.ingest.whitespace import norm_line
from assistant.records import Post

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = [
    "AtomEntry",
    "atom_text",
    "display_name",
    "entry_post",
    "export_html_text",
    "instant",
    "link_drop",
    "link_key",
    "parse_xml",
    "root_name",
    "title_from_body",
    "title_from_link",
    "unescape_html",
    "without_emails",
]

_PROLOG_SKIP_RE = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ROOT_RE = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->)*"
                      r"(?:<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>(?:\s|<\?.*?\?>|<!--.*?-->)*)?"
                      r"<([A-Za-z_][\w.:-]*)", re.S | re.I)
_TAG_RE = re.compile(r"<[A-Za-z/!]")
_ESCAPED_TAG_RE = re.compile(r"&lt;/?[A-Za-z!]")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_GRAVATAR_RE = re.compile(r"https?://(?:[\w-]+\.)*gravatar\.com/avatar/[0-9a-f]{32}\S*", re.I)
_EMAIL_HASH_RE = re.compile(r"(email[\"']?\s*(?:=>|:|=)\s*[\"']?)[0-9a-f]{32}\b", re.I)
_ANCHOR_RE = re.compile(r"<a\s[^>]*?href\s*=\s*[\"']?\s*(https?://[^\"'\s>]+)", re.I)
_WEB_NAME_RE = re.compile(r"^(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?$", re.I)
_TITLE_WORDS = 8


def root_name(text: str) -> str:
    """The name of the document element as written (``rss``, ``atom:feed``), found past the
    XML declaration, comments and a DOCTYPE (so that a feed with one is refused as a feed,
    not read as text); "" when ``text`` does not open as XML."""
    match = _ROOT_RE.match(text[:65536])
    return match.group(1) if match else ""


def parse_xml(text: str, source: str, what: str, remedy: str) -> ET.Element:
    """The document's root element. Raises ``SkippedFile`` naming ``source`` for a DOCTYPE
    (``what`` — "a Blogger export" — never has one) or XML that is not well formed (with
    its line and column, and ``remedy``: what the user can do)."""
    import xml.etree.ElementTree as ET

    # Security decision: a DOCTYPE is refused before parsing. Entity declarations are how an
    # XML file reads local files or expands a few bytes into gigabytes, and no blog export
    # has one; without a DOCTYPE an unknown ``&name;`` is a plain syntax error.
    pos = 0
    while match := _PROLOG_SKIP_RE.match(text, pos):
        pos = match.end()
    if text.startswith("<!", pos):
        raise SkippedFile(f"{source}: refused an XML DOCTYPE/ENTITY declaration (entities can "
                          f"read local files); {what} has none: remove it")
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise SkippedFile(f"{source}: not well-formed XML at line {line}, column {column + 1} "
                          f"({str(exc).split(': line')[0]}); {remedy}") from exc


def unescape_html(value: str) -> str:
    """Export HTML as markup: escaped once more than needed (``&lt;p&gt;``) or twice
    (``&amp;lt;p&amp;gt;``, seen in Blogger exports) is unescaped until tags show; escaped
    code inside real markup (``<p>Write &lt;p&gt;</p>``) stays code."""
    for _ in range(3):
        if _TAG_RE.search(value) or not _ESCAPED_TAG_RE.search(value):
            break
        value = html.unescape(value)
    return value


def export_html_text(value: str) -> str:
    """The visible text of an export's HTML field (see ``unescape_html``), paragraphs kept."""
    return html_text(unescape_html(value)) if value.strip() else ""


def atom_text(element: ET.Element | None) -> str:
    """An Atom text construct (a title) on one line; ``type="html"`` read as export HTML."""
    if element is None:
        return ""
    if (element.get("type") or "text").lower() == "html":
        return norm_line(export_html_text(element.text or "").replace("\n", " "))
    return norm_line(element.text or "")


class AtomEntry(Protocol):
    """What ``entry_post`` reads of a Blogger or Takeout entry."""

    title: str
    body: str
    stamp: str
    author: str | None
    url: str | None
    tags: tuple[str, ...]
    guid: str
    kind: str


def entry_post(entry: AtomEntry, source: str) -> Post | None:
    """The post of a Blogger or Takeout entry: an untitled one titled from its body's first
    words; None when it has neither title nor text (nothing to find or cite)."""
    title = entry.title or title_from_body(entry.body)
    if not title:
        return None
    return Post(source=source, title=title, body=entry.body,
                date=parse_date(entry.stamp) if entry.stamp else None, author=entry.author,
                url=entry.url, tags=entry.tags, guid=entry.guid or None,
                page=entry.kind == "page")


def instant(stamp: str) -> tuple[int, float, str]:
    """Sort key for a time stamp, ISO 8601 or RFC 822 (RSS), time zones compared; stamps
    that parse as neither sort last, by their text."""
    stamp = stamp.strip()
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(stamp)
        except (TypeError, ValueError, IndexError):
            return 1, 0.0, stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return 0, when.timestamp(), stamp


def link_drop(author: str | None, markup: str, hosts: set[str | None]) -> bool:
    """Whether a comment is link-drop spam, as Blogger exports hold it (they carry no spam
    flag): signed with a web address, or holding a hand-written link to a site other than
    ``hosts`` (the blog's own). Callers exempt the blog's own authors."""
    if author and _WEB_NAME_RE.match(author):
        return True
    return any(urlsplit(href).hostname not in hosts for href in _ANCHOR_RE.findall(markup))


def display_name(raw: str) -> str | None:
    """A display name (entities decoded, spaces tidied), or None for none or for one that
    is an email address (people type theirs into the name field: it must not be stored)."""
    name = norm_line(html.unescape(raw))
    return None if not name or _EMAIL_RE.search(name) else name


def without_emails(text: str) -> str:
    """A commenter's text with email addresses, Gravatar links and email hashes replaced
    by "[email]": readers paste their own (a comment of the real Jekyll site holds a debug
    dump with the commenter's md5-hashed ``email``), and none may be stored."""
    text = _EMAIL_HASH_RE.sub(r"\1[email]", _GRAVATAR_RE.sub("[email]", text))
    return _EMAIL_RE.sub("[email]", text)


def link_key(url: str | None) -> str | None:
    """A page's address as comment systems and exports both write it: host without
    ``www.``, path without its trailing slash, any scheme, query and fragment dropped
    (Disqus stored ``http://www.site/leeks`` for WordPress's ``https://site/leeks/``)."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{unquote(parts.path).rstrip('/')}" if host else None


def title_from_body(body: str) -> str:
    """The body's first words, for an entry exported with an empty title."""
    words = body.split()
    head = " ".join(words[:_TITLE_WORDS]).rstrip(".,;:!?")
    return f"{head}…" if len(words) > _TITLE_WORDS else head


def title_from_link(link: str | None) -> str:
    """``https://site/2019/old-mill-walk/`` → "old mill walk" (the page's slug), for a page
    known only by its address; the host when the path has none."""
    if not link:
        return ""
    parts = urlsplit(link)
    slug = unquote(next((s for s in reversed(parts.path.split("/")) if s), ""))
    slug = slug.rsplit(".", 1)[0] if "." in slug else slug
    return norm_line(slug.replace("-", " ").replace("_", " ")) or (parts.hostname or "")
