"""Blogger blogs as Google Takeout gives them: ``Takeout/Blogger/Blogs/<blog>/feed.atom``.

This is Blogger's newer schema (namespace ``http://schemas.google.com/blogger/2018``), not
the older "Back up content" export (``blogger``, with ``g/2005#kind`` categories). Each
``<entry>`` names what it is and its state in elements of its own:

- ``blogger:type``: ``POST``, ``PAGE`` or ``COMMENT``;
- ``blogger:status``: ``LIVE`` (published), ``DRAFT``, ``SCHEDULED``, ``DELETED``, and for
  comments also states such as ``SPAM`` or ``PENDING``; only ``LIVE`` is kept;
- ``blogger:parent``: on a comment, the id of the post it was left on (or of the comment it
  answers); ``blogger:inReplyTo`` (often empty): the comment a reply answers;
- ``blogger:trashed``: a time stamp when the entry was moved to the bin (kept out);
- ``blogger:filename``: the post's path on the blog (``/2011/10/nach-suzhou.html``).

Spam the file does not mark is recognised as the older export's is (``exports.link_drop``):
a comment by someone who is not one of the blog's authors holding a hand-written link to
another site, or signed with a web address.

Privacy decisions, enforced here: drafts, scheduled, deleted, trashed and spam entries never
reach a ``Post``/``Comment``; author emails are never read and a name that is an email
address is dropped (``exports.display_name``).
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
    display_name,
    entry_post,
    export_html_text,
    instant,
    link_drop,
    parse_xml,
    root_name,
    unescape_html,
)
from assistant.ingest.imported import Imported
from assistant.ingest.threads import Reply, thread
from assistant.ingest.whitespace import clean_lines, norm_line
from assistant.records import Comment, Post

__all__ = ["looks_like_takeout", "read_takeout", "takeout_chrome"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_NS = "http://schemas.google.com/blogger/2018"
_B = "{" + _NS + "}"
_SNIFF_CHARS = 65536
# What Blogger writes where there is no name: an anonymous commenter, a deleted profile.
_NO_NAME = frozenset({"anonymous", "unknown"})
_REMOVED = "this comment has been removed by"  # the placeholder of a removed comment
# Pages a Takeout zip holds beside the feeds, which are not posts: its index page, and each
# blog's theme (the template's HTML).
_CHROME_RE = re.compile(r"(?:^|/)Takeout/(?:archive_browser\.html|Blogger/Blogs/[^/]+/"
                        r"theme-[\w-]*\.html)$")


@dataclass(frozen=True)
class _Entry:
    """One ``<entry>`` reduced to what the import uses (never an email)."""

    kind: str  # post | page | comment (lower case), "" when unknown
    status: str  # live | draft | deleted | …; "trashed" when it is in the bin
    guid: str
    title: str
    body: str
    markup: str  # the body's HTML, for its links (spam)
    stamp: str
    author: str | None
    author_uri: str | None
    tags: tuple[str, ...]
    url: str | None
    parent: str | None  # a comment's blogger:parent: a post's id or a comment's
    in_reply_to: str | None


def takeout_chrome(member: str) -> bool:
    """Whether a zip member path is a Takeout page that is not a post (``archive_browser``,
    a blog's ``theme-classic.html``): ``archives`` leaves it out."""
    return bool(_CHROME_RE.search(member))


def looks_like_takeout(text: str) -> bool:
    """Whether ``text`` is an Atom feed in Blogger's Takeout schema."""
    return root_name(text).rpartition(":")[2] == "feed" and _NS in text[:_SNIFF_CHARS]


def read_takeout(text: str, source: str, *, include_drafts: bool = False) -> Imported:
    """Live posts and pages with their threaded live comments, the counts of entries left
    out by reason, and the blog's title. Raises ``SkippedFile`` for XML that is not well
    formed or declares a DOCTYPE."""
    root = parse_xml(text, source, "a Blogger Takeout export",
                     "download the blog again from Google Takeout (takeout.google.com)")
    base = _blog_url(root)
    skipped: Counter[str] = Counter()
    posts: dict[str, tuple[_Entry, Post]] = {}
    comments: dict[str, _Entry] = {}
    for element in root.iter(f"{_ATOM}entry"):
        entry = _entry(element, base)
        if entry.kind == "comment":
            comments.setdefault(entry.guid, entry)
        elif entry.kind in ("post", "page"):
            kept = ("live", "draft") if include_drafts else ("live",)
            reason = None if entry.status in kept else entry.status
            post = None if reason else entry_post(entry, source)
            if post is None:
                skipped[reason or "empty"] += 1
            else:
                posts[entry.guid] = (entry, post)
        else:
            skipped["unknown kind"] += 1
    by_post = _comments_by_post(comments, posts, skipped)
    kept = tuple(replace(post, comments=_thread(by_post.get(key, [])))
                 for key, (_, post) in posts.items())
    return Imported.of(kept, skipped, norm_line(atom_text(root.find(f"{_ATOM}title"))))


def _blog_url(root: ET.Element) -> str:
    """The blog's address, when the feed gives one (posts' addresses are built from it)."""
    for link in root.findall(f"{_ATOM}link"):
        href = (link.get("href") or "").strip()
        if link.get("rel", "alternate") == "alternate" and href.startswith(("http://",
                                                                            "https://")):
            return href.rstrip("/")
    return ""


def _entry(e: ET.Element, base: str) -> _Entry:
    status = (e.findtext(f"{_B}status") or "live").strip().lower() or "live"
    if (e.findtext(f"{_B}trashed") or "").strip():
        status = "trashed"
    alternate = next((link.get("href") for link in e.findall(f"{_ATOM}link")
                      if link.get("rel") == "alternate"), None)
    filename = (e.findtext(f"{_B}filename") or "").strip()
    url = alternate or (f"{base}{filename}" if base and filename.startswith("/") else None)
    name = display_name(e.findtext(f"{_ATOM}author/{_ATOM}name") or "")
    content = e.find(f"{_ATOM}content")
    # Takeout writes HTML, escaped once or twice; "text" content is kept as lines.
    html = content is None or (content.get("type") or "html").lower() != "text"
    markup = unescape_html(content.text or "") if content is not None else ""
    return _Entry(
        kind=(e.findtext(f"{_B}type") or "").strip().lower(), status=status,
        guid=(e.findtext(f"{_ATOM}id") or "").strip(), title=atom_text(e.find(f"{_ATOM}title")),
        body=export_html_text(markup) if html else clean_lines(markup.split("\n")),
        markup=markup if html else "",
        stamp=(e.findtext(f"{_ATOM}published") or e.findtext(f"{_B}created")
               or e.findtext(f"{_ATOM}updated") or "").strip(),
        author=None if name is None or name.lower() in _NO_NAME else name,
        author_uri=(e.findtext(f"{_ATOM}author/{_ATOM}uri") or "").strip() or None,
        tags=tuple(dict.fromkeys(norm_line(c.get("term") or "")
                                 for c in e.findall(f"{_ATOM}category")
                                 if (c.get("term") or "").strip())),
        url=url if url and url.startswith(("http://", "https://")) else None,
        parent=(e.findtext(f"{_B}parent") or "").strip() or None,
        in_reply_to=(e.findtext(f"{_B}inReplyTo") or "").strip() or None,
    )


def _date(stamp: str) -> date | None:
    return parse_date(stamp) if stamp else None


@dataclass(frozen=True)
class _Judge:
    """Which comments are kept: live ones, not removed, and not link-drop spam by someone
    other than the blog's authors (``exports.link_drop``: Blogger marks little as spam)."""

    owners: set[str]  # profile URIs of the posts' authors
    hosts: set[str | None]  # the blog's own hosts: links there are not spam

    @classmethod
    def of(cls, posts: dict[str, tuple[_Entry, Post]]) -> _Judge:
        return cls({e.author_uri for e, _ in posts.values() if e.author_uri},
                   {urlsplit(p.url).hostname for _, p in posts.values() if p.url})

    def reason(self, c: _Entry) -> str | None:
        if c.status != "live":
            return c.status
        if c.body.lower().startswith(_REMOVED):
            return "removed"
        if c.author_uri not in self.owners and link_drop(c.author, c.markup, self.hosts):
            return "spam"
        return None if c.body else "empty"


def _post_of(c: _Entry, comments: dict[str, _Entry]) -> str | None:
    """The id of the post a comment was left on: its parent, or its parent comment's post
    (followed up the chain, whatever order the file gives them in)."""
    seen: set[str] = set()
    key = c.parent or c.in_reply_to
    while key in comments and key not in seen:
        seen.add(key)
        key = comments[key].parent or comments[key].in_reply_to
    return key


def _comments_by_post(comments: dict[str, _Entry], posts: dict[str, tuple[_Entry, Post]],
                      skipped: Counter[str]) -> dict[str, list[_Entry]]:
    """Kept comments grouped by the id of the kept post they belong to."""
    judge = _Judge.of(posts)
    by_post: dict[str, list[_Entry]] = {}
    for c in comments.values():
        reason = judge.reason(c)
        post_key = _post_of(c, comments)
        if reason is None and post_key not in posts:
            reason = "orphan"  # its post is a draft, deleted, or not in this file
        if reason:
            skipped[f"comment {reason}"] += 1
        else:
            by_post.setdefault(post_key, []).append(c)
    return by_post


def _answers(c: _Entry) -> str | None:
    """The comment a reply answers (in-reply-to, or a parent that is a comment), else None;
    ``thread`` makes a key no kept comment has answer the post."""
    return c.in_reply_to or c.parent


def _thread(kept: list[_Entry]) -> tuple[Comment, ...]:
    return thread([Reply(c.guid, _answers(c), instant(c.stamp),
                         Comment(number="", text=c.body, author=c.author, date=_date(c.stamp),
                                 id=c.guid or None, url=c.url))
                   for c in kept])
