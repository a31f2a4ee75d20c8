"""RSS 2.0 and Atom feeds saved to disk: each item or entry a post, comment feeds read as
comments on the pages they were left on.

An item is a comment when it says so: Atom threading (``thr:in-reply-to``, RFC 4685), or a
WordPress comment feed's "Comment on <post> by <name>" (site feed) or "By: <name>" (a
post's feed) with a ``#comment-N`` link. A comment joins the feed's post with the same link
(fragment dropped) or the id its in-reply-to names; a comment whose post is not in the file
is grouped with the others on the same page into a post for that page, titled from the
"Comment on …" title or the page's address. WordPress exports (WXR) and Blogger exports
are Atom or RSS too: ``parse`` sniffs them first.

Security: no DOCTYPE is accepted (so no entity can be declared) and nothing is fetched.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlsplit, urlunsplit

from assistant.ingest.dates import parse_date
from assistant.ingest.exports import (
    display_name,
    export_html_text,
    instant,
    parse_xml,
    root_name,
    title_from_body,
    title_from_link,
)
from assistant.ingest.htmlpage import html_text
from assistant.ingest.imported import Imported
from assistant.ingest.threads import Reply, thread
from assistant.ingest.whitespace import clean_lines, norm_line
from assistant.records import Comment, Post

__all__ = [
    "looks_like_feed",
    "read_feed",
]

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_THR = "{http://purl.org/syndication/thread/1.0}"
_SNIFF_CHARS = 65536
_SITE_COMMENT_RE = re.compile(r"^Comment on (.+) by (.+)$", re.S)
_POST_COMMENT_RE = re.compile(r"^By: (.+)$", re.S)
_FRAGMENT_RE = re.compile(r"#comment-(\d+)$")
_RSS_AUTHOR_RE = re.compile(r"^\S+@\S+\s*\((.+)\)$")  # RSS 2.0: "jo@example.com (Jo)"


@dataclass(frozen=True)
class _Item:
    """One ``<item>`` or ``<entry>`` reduced to what the import uses."""

    title: str
    link: str | None
    guid: str
    stamp: str
    author: str | None
    tags: tuple[str, ...]
    body: str
    reply: tuple[str | None, str | None]  # thr:in-reply-to: the id of the post or comment
    # it answers, and that page's address

    @property
    def reply_ref(self) -> str | None:
        return self.reply[0]

    @property
    def reply_href(self) -> str | None:
        return self.reply[1]


def looks_like_feed(text: str) -> bool:
    """Whether ``text`` opens as an RSS document or an Atom feed (in the Atom namespace)."""
    root = root_name(text)
    return root == "rss" or (root.rpartition(":")[2] == "feed"
                             and "http://www.w3.org/2005/Atom" in text[:_SNIFF_CHARS])


def read_feed(text: str, source: str) -> Imported:
    """Posts (comments attached), left-out counts and the feed's title. Raises
    ``SkippedFile`` for a DOCTYPE or XML that is not well formed."""
    root = parse_xml(text, source, "a saved feed",
                     "save the feed again, or export the blog from its settings")
    if root.tag == f"{_ATOM}feed":
        items = [_atom_item(e) for e in root.iter(f"{_ATOM}entry")]
        blog_title = _atom_text(root.find(f"{_ATOM}title"))
    else:
        items = [_rss_item(e) for e in root.iter("item")]
        blog_title = norm_line(root.findtext("channel/title") or "")
    left_out: Counter[str] = Counter()
    posts: list[Post] = []
    comments: list[_Item] = []
    for item in items:
        if _is_comment(item):
            comments.append(item)
        elif post := _post(item, source):
            posts.append(post)
        else:
            left_out["empty"] += 1
    return Imported.of(_attach(posts, comments, source, left_out), left_out, blog_title)


def _rss_item(e: ET.Element) -> _Item:
    raw_author = (e.findtext(f"{_DC}creator") or "").strip()
    if not raw_author:  # RSS's own <author> is an email address, a name in brackets at best
        m = _RSS_AUTHOR_RE.match((e.findtext("author") or "").strip())
        raw_author = m.group(1) if m else ""
    body = (e.findtext(f"{_CONTENT}encoded") or "").strip() or (e.findtext("description") or "")
    return _Item(
        title=_plain_title(e.findtext("title") or ""), link=_web(e.findtext("link")),
        guid=(e.findtext("guid") or "").strip(),
        stamp=(e.findtext("pubDate") or e.findtext(f"{_DC}date") or "").strip(),
        author=display_name(raw_author),
        tags=_unique(norm_line(c.text or "") for c in e.findall("category")),
        body=export_html_text(body),
        reply=_in_reply_to(e))


def _atom_item(e: ET.Element) -> _Item:
    links = e.findall(f"{_ATOM}link")
    link = next((k.get("href") for k in links if k.get("rel", "alternate") == "alternate"), None)
    body = _atom_text(e.find(f"{_ATOM}content"), lines=True) or _atom_text(
        e.find(f"{_ATOM}summary"), lines=True)
    return _Item(
        title=_atom_text(e.find(f"{_ATOM}title")), link=_web(link),
        guid=(e.findtext(f"{_ATOM}id") or "").strip(),
        stamp=(e.findtext(f"{_ATOM}published") or e.findtext(f"{_ATOM}updated") or "").strip(),
        author=display_name(e.findtext(f"{_ATOM}author/{_ATOM}name") or ""),
        tags=_unique(norm_line(c.get("label") or c.get("term") or "")
                     for c in e.findall(f"{_ATOM}category")),
        body=body,
        reply=_in_reply_to(e))


def _in_reply_to(e: ET.Element) -> tuple[str | None, str | None]:
    reply = e.find(f"{_THR}in-reply-to")
    if reply is None:
        return None, None
    return (reply.get("ref") or "").strip() or None, _web(reply.get("href"))


def _atom_text(el: ET.Element | None, lines: bool = False) -> str:
    """An Atom text construct as plain text: ``text``, ``html`` or ``xhtml`` (RFC 4287 §3.1);
    paragraphs kept for content, one line for a title."""
    if el is None:
        return ""
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml":
        for node in el.iter():  # XHTML names without their namespace, for the HTML reader
            node.tag = node.tag.rpartition("}")[2]
        text = html_text("".join(ET.tostring(child, encoding="unicode") for child in el))
    elif kind in ("html", "text/html"):
        text = export_html_text(el.text or "")
    else:
        text = clean_lines((el.text or "").split("\n"))
    return text if lines else norm_line(text.replace("\n", " "))


def _plain_title(raw: str) -> str:
    """An RSS title: plain text, though some feeds put markup or entities in it."""
    return norm_line(html_text(raw).replace("\n", " ") if "<" in raw or "&" in raw else raw)


def _web(href: str | None) -> str | None:
    href = (href or "").strip()
    return href if href.startswith(("http://", "https://")) else None


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    """Names once each, in order, case folded for the comparison; empty ones dropped."""
    found: dict[str, str] = {}
    for name in names:
        if name:
            found.setdefault(name.casefold(), name)
    return tuple(found.values())


def _is_comment(item: _Item) -> bool:
    if item.reply_ref or item.reply_href:
        return True
    titled = _SITE_COMMENT_RE.match(item.title) or _POST_COMMENT_RE.match(item.title)
    return bool(titled and item.link and _FRAGMENT_RE.search(item.link))


def _post(item: _Item, source: str) -> Post | None:
    title = item.title or title_from_body(item.body)
    if not title:
        return None
    return Post(source=source, title=title, body=item.body, date=_date(item.stamp),
                author=item.author, url=item.link, tags=item.tags,
                guid=item.guid or item.link)


def _date(stamp: str) -> date | None:
    return parse_date(stamp) if stamp else None


def _page(url: str | None) -> str | None:
    """The address a comment link points into, for comparison: no fragment, host in lower
    case, no trailing slash (``https://site/slug/#comment-4`` and ``https://site/slug``)."""
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, (parts.hostname or "").lower(), parts.path.rstrip("/"),
                       parts.query, ""))


def _attach(posts: list[Post], comments: list[_Item], source: str,
            left_out: Counter[str]) -> list[Post]:
    """The posts with their comments, then a post per page the other comments were left on."""
    by_guid = {p.guid: i for i, p in enumerate(posts) if p.guid}
    by_url = {_page(p.url): i for i, p in enumerate(posts) if p.url}
    keyed = {c.guid or c.link: c for c in comments if c.guid or c.link}
    groups: dict[int | str, list[Reply]] = {}
    pages: dict[str, tuple[str, str | None]] = {}  # page → (title, in-reply-to id)
    for n, c in enumerate(comments):
        if not c.body:
            left_out["comment empty"] += 1
            continue
        target = _target(c, keyed)
        key: int | str | None = by_guid.get(target.reply_ref) if target.reply_ref else None
        page = target.reply_href or _fragmentless(target.link)
        if key is None:
            key = by_url.get(_page(page))
        if key is None:
            if not page:
                left_out["comment orphan"] += 1  # answers nothing this file names
                continue
            key = page
            title, ref = pages.get(page, ("", None))
            named = _SITE_COMMENT_RE.match(c.title)
            pages[page] = (title or (norm_line(named.group(1)) if named else ""),
                           ref or (target.reply_ref if target.reply_ref not in keyed else None))
        parent = c.reply_ref if c.reply_ref in keyed else None
        groups.setdefault(key, []).append(Reply(c.guid or c.link or str(n), parent,
                                                (instant(c.stamp), n), _comment(c)))
    out = [replace(p, comments=thread(groups[i])) if i in groups else p
           for i, p in enumerate(posts)]
    for page, (title, ref) in pages.items():
        out.append(Post(source=source, title=title or title_from_link(page) or page,
                        body=f"Comments on {page}", url=page, guid=ref or page,
                        comments=thread(groups[page])))
    return out


def _target(c: _Item, keyed: dict[str, _Item]) -> _Item:
    """The comment whose in-reply-to names the post: up the chain of replies (a loop
    stops where it closes)."""
    seen = set()
    while c.reply_ref in keyed and c.reply_ref not in seen:
        seen.add(c.reply_ref)
        c = keyed[c.reply_ref]
    return c


def _fragmentless(link: str | None) -> str | None:
    return link.split("#", 1)[0] if link else None


def _comment(c: _Item) -> Comment:
    m = _SITE_COMMENT_RE.match(c.title) or _POST_COMMENT_RE.match(c.title)
    author = c.author or (display_name(m.group(m.lastindex or 1)) if m else None)
    fragment = _FRAGMENT_RE.search(c.link or "")
    return Comment(number="", text=c.body, author=author, date=_date(c.stamp),
                   id=fragment.group(1) if fragment else c.guid or None, url=c.link)
