"""Disqus comment exports (Admin › Moderation › Export): each discussion thread with its
comments, threaded by the parent each comment names.

A Disqus export holds comments only, not the pages they were left on. A thread whose
``link`` (or an ``<id>`` that is an address) is the address of a post of the same archive
joins that post: its comments take the post's id, title and date (``Post.thread_of``), so
they are cited and threaded as that post's comments (a build reads the file again with the
archive's addresses: ``posts_by_link``). Any other thread with kept comments becomes a
``Post`` of its own whose body says where the comments were left (the thread's message when
it has one), its ``link`` as ``url``.

Privacy, enforced here: deleted and spam comments never become a ``Comment``; ``email`` and
``ipAddress`` are never read out of the tree.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

from assistant.ingest.dates import parse_date
from assistant.ingest.exports import (
    display_name,
    export_html_text,
    instant,
    link_key,
    parse_xml,
    root_name,
    title_from_link,
)
from assistant.ingest.imported import Imported, PostLink, with_links
from assistant.ingest.threads import Reply, thread
from assistant.ingest.whitespace import norm_line
from assistant.records import Comment, Post

__all__ = [
    "looks_like_disqus",
    "read_disqus",
]

_NS = "{http://disqus.com}"
_DSQ_ID = "{http://disqus.com/disqus-internals}id"
_SNIFF_CHARS = 65536


@dataclass(frozen=True)
class _Thread:
    key: str  # dsq:id, which posts name
    identifier: str  # the site's own id for the page (Disqus ``<id>``), often empty
    link: str | None
    title: str
    message: str
    stamp: str
    deleted: bool


@dataclass(frozen=True)
class _Post:
    key: str
    thread: str
    parent: str | None
    stamp: str
    author: str | None
    text: str


def looks_like_disqus(text: str) -> bool:
    """Whether ``text`` is an XML document whose root is ``<disqus>`` in its namespace."""
    return root_name(text) == "disqus" and "http://disqus.com" in text[:_SNIFF_CHARS]


def read_disqus(text: str, source: str,
                posts_by_link: Mapping[str, PostLink] | None = None) -> Imported:
    """One post per thread that keeps a comment (joining the post ``posts_by_link`` has for
    its address: ``exports.link_key``), and the counts left out by reason ("comment
    deleted", "comment spam", "empty thread", …). Raises ``SkippedFile`` for a DOCTYPE or
    XML that is not well formed."""
    root = parse_xml(text, source, "a Disqus export",
                     "export the comments again from Disqus (Moderation › Export)")
    left_out: Counter[str] = Counter()
    threads: dict[str, _Thread] = {}
    comments: dict[str, list[_Post]] = {}
    for el in root:
        if el.tag == f"{_NS}thread":
            t = _thread_of(el)
            threads.setdefault(t.key, t)
        elif el.tag == f"{_NS}post":
            reason = _left_out_reason(el)  # before reading text spam may carry
            post = None if reason else _post_of(el)
            if post is None:
                left_out[reason or "comment empty"] += 1
            else:
                comments.setdefault(post.thread, []).append(post)
    posts = []
    for key, t in threads.items():
        kept = comments.pop(key, [])
        if t.deleted:
            left_out["deleted thread"] += 1
            left_out["comment on a deleted thread"] += len(kept)
        elif not kept:
            left_out["empty thread"] += 1
        else:
            posts.append(_as_post(t, kept, source, _joined(t, posts_by_link or {})))
    left_out["comment orphan"] += sum(map(len, comments.values()))  # thread not in the file
    return with_links(Imported.of(posts, left_out))


def _joined(t: _Thread, posts_by_link: Mapping[str, PostLink]) -> PostLink | None:
    """The archive's post this thread was left on, by its link or an address-like id."""
    for address in (t.link, t.identifier):
        key = link_key(address)
        if key and key in posts_by_link:
            return posts_by_link[key]
    return None


def _child(el: ET.Element, name: str) -> str:
    return (el.findtext(f"{_NS}{name}") or "").strip()


def _flag(el: ET.Element, name: str) -> bool:
    return _child(el, name).lower() == "true"


def _ref(el: ET.Element, name: str) -> str | None:
    found = el.find(f"{_NS}{name}")
    if found is None:
        return None
    return (found.get(_DSQ_ID) or "").strip() or None


def _thread_of(el: ET.Element) -> _Thread:
    link = _child(el, "link")
    return _Thread(key=(el.get(_DSQ_ID) or "").strip(), identifier=_child(el, "id"),
                   link=link if link.startswith(("http://", "https://")) else None,
                   title=norm_line(html.unescape(_child(el, "title"))),
                   message=export_html_text(_child(el, "message")),
                   stamp=_child(el, "createdAt"), deleted=_flag(el, "isDeleted"))


def _left_out_reason(el: ET.Element) -> str | None:
    if _flag(el, "isDeleted"):
        return "comment deleted"
    if _flag(el, "isSpam"):
        return "comment spam"
    return None


def _post_of(el: ET.Element) -> _Post | None:
    """A kept comment: its name, else its username (never ``author/email``), and text."""
    text = export_html_text(_child(el, "message"))
    key = (el.get(_DSQ_ID) or "").strip()
    if not text or not key:
        return None
    author = el.find(f"{_NS}author")
    name = None
    if author is not None:
        name = display_name(_child(author, "name")) or display_name(_child(author, "username"))
    return _Post(key=key, thread=_ref(el, "thread") or "", parent=_ref(el, "parent"),
                 stamp=_child(el, "createdAt"), author=name, text=text)


def _as_post(t: _Thread, kept: list[_Post], source: str, joined: PostLink | None) -> Post:
    where = t.link or t.title or t.identifier or t.key
    comments = thread([Reply(p.key, p.parent, (instant(p.stamp), p.key),
                             Comment(number="", text=p.text, author=p.author,
                                     date=parse_date(p.stamp) if p.stamp else None, id=p.key,
                                     url=f"{t.link}#comment-{p.key}" if t.link else None))
                       for p in kept])
    if joined is not None:  # no body of its own: the post's is in its own file; numbered
        # "D1", "D1.2" so as not to collide with the post's own comments "1", "1.2"
        return Post(source=source, title=joined.title, body="",
                    date=parse_date(joined.date) if joined.date else None, url=joined.url,
                    comments=tuple(replace(c, number=f"D{c.number}") for c in comments),
                    thread_of=joined.post_id)
    return Post(source=source, title=t.title or title_from_link(t.link) or where,
                body=t.message or f"Comments on {where}",
                date=parse_date(t.stamp) if t.stamp else None, url=t.link,
                comments=comments, guid=t.identifier or t.key or None)
