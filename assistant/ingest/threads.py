"""Comment threads from the parent each comment names, as blog exports give them.

Every importer that knows who replied to whom (WordPress ``comment_parent``, Blogger
``thr:in-reply-to``, Disqus ``parent``, Staticman ``replying_to``) hands its comments here
as ``Reply`` records in any order and gets them numbered depth first: "3" for the third
comment on the post, "3.2" for the second reply to it, "3.2.1" below that. A reply whose
parent was left out (spam, unapproved, removed) or is missing answers the post instead of
being lost; replies caught in a parent loop start threads of their own, after the rest.
Every comment passes here, so here its text loses the email addresses and email hashes
readers paste into it (``exports.without_emails``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

from assistant.ingest.exports import without_emails
from assistant.records import Comment

__all__ = ["Reply", "thread"]


@dataclass(frozen=True)
class Reply:
    """One comment as an export gives it: its ``key`` there, the ``parent`` key of the
    comment it answers (None, or a key no kept comment has, for the post), a sort key
    (``order``: when it was posted) and the ``comment`` itself, numbered by ``thread``."""

    key: str
    parent: str | None
    order: Hashable
    comment: Comment


def thread(replies: Sequence[Reply]) -> tuple[Comment, ...]:
    """The comments numbered in thread order, each with the ``id`` of the one it answers
    as ``parent_id`` (None for a reply to the post)."""
    ordered = sorted(range(len(replies)), key=lambda i: (replies[i].order, i))
    first = {}  # a key given twice: the earlier comment is the parent
    for i in ordered:
        first.setdefault(replies[i].key, i)
    children: dict[int | None, list[int]] = {}
    for i in ordered:
        parent = first.get(replies[i].parent) if replies[i].parent is not None else None
        children.setdefault(None if parent == i else parent, []).append(i)
    reachable = _reachable(children)
    roots = children.get(None, []) + [i for i in ordered if i not in reachable]
    out: list[Comment] = []
    seen: set[int] = set()
    top = 0
    for root in roots:
        if root in seen:
            continue
        top += 1
        stack: list[tuple[str, int, str | None]] = [(str(top), root, None)]
        while stack:
            number, i, parent_id = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            comment = replies[i].comment
            out.append(replace(comment, number=number, parent_id=parent_id,
                               text=without_emails(comment.text)))
            kids = [k for k in children.get(i, []) if k not in seen]
            stack.extend((f"{number}.{n}", k, comment.id)
                         for n, k in reversed(list(enumerate(kids, 1))))
    return tuple(out)


def _reachable(children: dict[int | None, list[int]]) -> set[int]:
    """The comments reachable from the post: the rest sit in a parent loop."""
    found: set[int] = set()
    todo = list(children.get(None, []))
    while todo:
        i = todo.pop()
        if i not in found:
            found.add(i)
            todo += children.get(i, [])
    return found
