"""A whole post with its comment thread, rebuilt from the index's passages (what a source
card opens): the post's text once (the overlap chunking repeats at each passage's start is
dropped), then each comment with who it replies to and how deep it sits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assistant.records import Chunk

__all__ = ["MAX_THREAD_PASSAGES", "Thread", "ThreadEntry", "thread_of"]

MAX_THREAD_PASSAGES = 4000  # a post with thousands of comments still opens; the rest is counted


@dataclass(frozen=True)
class ThreadEntry:
    """The post body or one comment: its text and its passages' ids (to find the cited one)."""

    kind: str
    author: str | None
    date: date | None
    number: str | None
    url: str | None
    reply_to: str | None
    depth: int
    text: str
    chunk_ids: tuple[str, ...]
    chunk_texts: tuple[str, ...]  # each passage as indexed, to find one in ``text``


@dataclass(frozen=True)
class Thread:
    post_id: str
    title: str
    post: ThreadEntry | None  # None when only comments of the post are indexed
    comments: tuple[ThreadEntry, ...]
    left_out: int  # passages past ``MAX_THREAD_PASSAGES``

    def as_dict(self) -> dict[str, object]:
        def entry(e: ThreadEntry) -> dict[str, object]:
            return {"kind": e.kind, "author": e.author,
                    "date": e.date.isoformat() if e.date else None, "number": e.number,
                    "url": e.url, "reply_to": e.reply_to, "depth": e.depth, "text": e.text,
                    "chunk_ids": list(e.chunk_ids)}
        return {"post_id": self.post_id, "title": self.title,
                "post": entry(self.post) if self.post else None,
                "comments": [entry(c) for c in self.comments], "left_out": self.left_out}


def _joined(texts: list[str], longest: int = 1200) -> str:
    """Consecutive passages joined, each one's start that repeats the last one's end cut
    (the overlap is a few sentences, 40 tokens by default: well under ``longest``)."""
    out = ""
    for text in texts:
        cut = 0
        for size in range(min(len(out), len(text), longest), 0, -1):
            if out.endswith(text[:size]):
                cut = size
                break
        rest = text[cut:].strip()
        if rest:
            out = f"{out} {rest}" if out else rest
    return out


def _depth(number: str | None, reply_to: str | None, earlier: list[ThreadEntry]) -> int:
    """Dotted numbers ("D1.1") nest by their dots; otherwise a reply sits one under the
    latest earlier comment by the author it replies to."""
    if number and "." in number:
        return number.count(".")
    if reply_to is not None:
        for entry in reversed(earlier):
            if (entry.author or "") == reply_to:
                return min(entry.depth + 1, 6)
        return 1
    return 0


def thread_of(chunks: list[Chunk], left_out: int = 0) -> Thread | None:
    """The thread of one post's passages (``ChunkStore.post_chunks`` order)."""
    if not chunks:
        return None
    groups: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in chunks:
        key = ("comment", chunk.comment_number or "") if chunk.kind == "comment" else ("post", "")
        groups.setdefault(key, []).append(chunk)
    post, comments = None, []
    for (kind, _), parts in groups.items():
        parts.sort(key=lambda c: c.position)
        head = parts[0]
        entry_args = dict(kind=kind, author=head.author, date=head.date,
                          number=head.comment_number, url=head.url, reply_to=head.reply_to,
                          text=_joined([p.text for p in parts]),
                          chunk_ids=tuple(p.chunk_id for p in parts),
                          chunk_texts=tuple(p.text for p in parts))
        if kind == "post":
            post = ThreadEntry(depth=0, **entry_args)
        else:
            comments.append(ThreadEntry(depth=_depth(head.comment_number, head.reply_to,
                                                     comments), **entry_args))
    return Thread(chunks[0].post_id, chunks[0].title, post, tuple(comments), left_out)
