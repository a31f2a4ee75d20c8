"""Blogger Atom exports (Settings › Back up content): posts and pages with threaded comments.

Each ``<entry>`` says what it is by a category in the ``g/2005#kind`` scheme; settings and
template entries are ignored. Comments point at their post by ``thr:in-reply-to``; a reply to
a comment says so by a ``related`` link (or an in-reply-to naming the comment).

Privacy decisions, enforced here: drafts (``app:draft`` yes), removed-comment placeholders and
link-drop spam never reach a ``Post``/``Comment``; ``author/email`` is never read. Blogger puts
no spam flag in its export, so spam is recognised by what it does: a comment by someone who
is not one of the blog's authors holding a hand-written link to another site, or signed with a
web address. On the 3.3 MB arborlodge export that is 14 of 56 comments, each an SEO link.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlsplit

from assistant.ingest.dates import parse_date
from assistant.ingest.exports import (
    atom_text,
    entry_post,
    instant,
    link_drop,
    parse_xml,
    unescape_html,
)
from assistant.ingest.htmlpage import html_text
from assistant.ingest.imported import Imported
from assistant.ingest.threads import Reply, thread
from assistant.ingest.whitespace import clean_lines, norm_line
from assistant.records import Comment, Post

__all__ = [
    "looks_like_blogger",
    "parse_blogger",
    "read_blogger",
]

_ATOM = "{http://www.w3.org/2005/Atom}"
_THR = "{http://purl.org/syndication/thread/1.0}"
_GD = "{http://schemas.google.com/g/2005}"
_APP = ("{http://purl.org/atom/app#}", "{http://www.w3.org/2007/app}")  # old and RFC 5023
_KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
_KIND_PREFIX = "http://schemas.google.com/blogger/2008/kind#"
_SNIFF_CHARS = 65536  # the kind of the first entry (Blogger writes the template first)
_FEED_RE = re.compile(r"<(?:\w+:)?feed[\s>]")
_REMOVED = "this comment has been removed by"
_NUM_RE = re.compile(r"(\d+)$")
_SELF_POST_RE = re.compile(r"/(\d+)/comments/default/\d+$")
# Names Blogger writes where there is none: an anonymous commenter, a deleted profile.
_NO_NAME = frozenset({"anonymous", "unknown"})


@dataclass(frozen=True)
class _Entry:
    """One ``<entry>`` reduced to what the import uses (never the author's email)."""

    kind: str
    key: str  # the numeric tail of the Atom id: posts, pages and comments share one space
    guid: str
    title: str
    body: str
    raw_html: str
    stamp: str
    url: str | None
    author: str | None
    author_uri: str | None
    tags: tuple[str, ...]
    draft: bool
    removed: bool
    reply_to: str | None  # thr:in-reply-to ref: a post's key, or a comment's
    related: str | None  # the key of the comment a reply answers (its ``related`` link)
    post_from_link: str | None  # a comment's post key, read from its self/edit link


def looks_like_blogger(text: str) -> bool:
    """Whether ``text`` is an Atom feed whose entries carry Blogger kind categories."""
    head = text[:_SNIFF_CHARS]
    return bool(_FEED_RE.search(head)) and _KIND_SCHEME in head and _KIND_PREFIX in head


def parse_blogger(text: str, source: str) -> list[Post]:
    """Published posts and pages of a Blogger export, each with its threaded comments."""
    return list(read_blogger(text, source).posts)


def read_blogger(text: str, source: str, *, include_drafts: bool = False) -> Imported:
    """Posts and pages, and the counts of entries left out by reason. Raises ``SkippedFile``
    for XML that is not well formed or declares a DOCTYPE."""
    root = _parse_xml(text, source)
    skipped: Counter[str] = Counter()
    entries = []
    for element in root.iter(f"{_ATOM}entry"):
        entry = _entry(element)
        if entry.kind in ("settings", "template"):
            skipped[entry.kind] += 1
        elif entry.kind in ("post", "page", "comment"):
            entries.append(entry)
        else:
            skipped["unknown kind"] += 1
    posts: dict[str, tuple[_Entry, Post]] = {}
    for entry in entries:
        if entry.kind == "comment":
            continue
        post = entry_post(entry, source)
        reason = ("draft" if entry.draft and not include_drafts
                  else None if post else "empty")
        if reason:
            skipped[reason] += 1
        else:
            posts[entry.key] = (entry, post)
    owners = {e.author_uri for e, _ in posts.values() if e.author_uri}
    hosts = {urlsplit(p.url).hostname for _, p in posts.values() if p.url}
    by_post = _comments_by_post(entries, posts, _Judge(owners, hosts, skipped))
    kept = tuple(replace(post, comments=_thread(by_post.get(key, [])))
                 for key, (_, post) in posts.items())
    return Imported.of(kept, skipped, _blog_title(root))


def _blog_title(root: ET.Element) -> str:
    """The feed's own title: the blog's name."""
    return norm_line(atom_text(root.find(f"{_ATOM}title")))


def _parse_xml(text: str, source: str) -> ET.Element:
    return parse_xml(text, source, "a Blogger export",
                     "export the blog again from Blogger (Settings › Back up content)")


def _entry(e: ET.Element) -> _Entry:
    kind, tags = "", []
    for category in e.findall(f"{_ATOM}category"):
        term = category.get("term") or ""
        if category.get("scheme") == _KIND_SCHEME or term.startswith(_KIND_PREFIX):
            kind = term.rpartition("#")[2]
        elif term.strip():
            tags.append(norm_line(term))
    links = {link.get("rel"): link.get("href") for link in e.findall(f"{_ATOM}link")}
    reply = e.find(f"{_THR}in-reply-to")
    guid = (e.findtext(f"{_ATOM}id") or "").strip()
    raw, body = _content(e.find(f"{_ATOM}content"))
    removed = body.lower().startswith(_REMOVED) or any(
        p.get("name") == "blogger.contentRemoved" and p.get("value") == "true"
        for p in e.findall(f"{_GD}extendedProperty"))
    name = norm_line(e.findtext(f"{_ATOM}author/{_ATOM}name") or "")
    self_link = links.get("self") or links.get("edit") or ""
    return _Entry(
        kind=kind, key=_key(guid) or guid, guid=guid,
        title=atom_text(e.find(f"{_ATOM}title")), body=body, raw_html=raw,
        stamp=(e.findtext(f"{_ATOM}published") or e.findtext(f"{_ATOM}updated") or "").strip(),
        url=_web_url(links.get("alternate")),
        author=None if name.lower() in _NO_NAME else name or None,
        author_uri=(e.findtext(f"{_ATOM}author/{_ATOM}uri") or "").strip() or None,
        tags=tuple(dict.fromkeys(tags)), draft=_is_draft(e), removed=removed,
        reply_to=_key(reply.get("ref") or reply.get("href")) if reply is not None else None,
        related=_key(links.get("related")),
        post_from_link=(m.group(1) if (m := _SELF_POST_RE.search(self_link)) else None),
    )


def _key(ref: str | None) -> str | None:
    match = _NUM_RE.search((ref or "").strip())
    return match.group(1) if match else None


def _web_url(href: str | None) -> str | None:
    href = (href or "").strip()
    return href if href.startswith(("http://", "https://")) else None


def _is_draft(e: ET.Element) -> bool:
    return any((e.findtext(f"{ns}control/{ns}draft") or "").strip().lower() == "yes"
               for ns in _APP)


def _content(element: ET.Element | None) -> tuple[str, str]:
    """The content's HTML (after unescaping) and its plain text, paragraphs kept."""
    if element is None:
        return "", ""
    kind = (element.get("type") or "text").lower()
    if kind == "xhtml":
        markup = "".join(ET.tostring(child, encoding="unicode") for child in element)
        return markup, html_text(markup)
    value = element.text or ""
    if kind != "html":
        return "", clean_lines(value.split("\n"))
    value = unescape_html(value)  # double-escaped exports: "&amp;lt;p&amp;gt;"
    return value, html_text(value)


def _date(stamp: str) -> date | None:
    return parse_date(stamp) if stamp else None


@dataclass(frozen=True)
class _Judge:
    """Decides which comments are kept, counting the others by reason."""

    owners: set[str]  # profile URIs of the blog's authors (never names: "Unknown" is shared)
    hosts: set[str | None]
    skipped: Counter[str]

    def reason(self, c: _Entry) -> str | None:
        if c.draft:
            return "draft"
        if c.removed:
            return "removed"
        if c.author_uri not in self.owners and link_drop(c.author, c.raw_html, self.hosts):
            return "spam"
        return None if c.body else "empty"


def _comments_by_post(entries: list[_Entry], posts: dict[str, tuple[_Entry, Post]],
                      judge: _Judge) -> dict[str, list[_Entry]]:
    """Kept comments grouped by the key of the kept post they belong to."""
    comments = {e.key: e for e in entries if e.kind == "comment"}
    by_post: dict[str, list[_Entry]] = {}
    for c in comments.values():
        reason = judge.reason(c)
        post_key = _post_key(c, comments)
        if reason is None and post_key not in posts:
            reason = "orphan"  # its post is a draft, empty, or not in this file
        if reason:
            judge.skipped[f"comment {reason}"] += 1
        else:
            by_post.setdefault(post_key, []).append(c)
    return by_post


def _post_key(c: _Entry, comments: dict[str, _Entry]) -> str | None:
    if c.reply_to in comments:  # in-reply-to names a comment: its post is in the links
        return c.post_from_link or comments[c.reply_to].post_from_link
    return c.reply_to or c.post_from_link


def _thread(kept: list[_Entry]) -> tuple[Comment, ...]:
    """The kept comments threaded by the comment each answers (its ``related`` link, or an
    in-reply-to naming a comment; else the post), in the order they were published."""
    return thread([Reply(c.key, c.related or c.reply_to, instant(c.stamp),
                         Comment(number="", text=c.body, author=c.author, date=_date(c.stamp),
                                 id=c.guid or None, url=c.url))
                   for c in kept])
