"""The reader: a whole post and its comment thread as HTML, the passage a source card cited
highlighted (``id="reader-focus"``, scrolled into view by the page) with its quotes marked.
A pure function; every piece of archive text is escaped."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.search.thread import Thread, ThreadEntry
from assistant.text import web_url
from assistant.ui.cards import mark_quotes
from assistant.ui.render import esc

__all__ = ["render_thread"]


def _when(entry: ThreadEntry) -> str:
    return f"{entry.date.day} {entry.date:%B %Y}" if entry.date else "undated"


def _body(entry: ThreadEntry, focus_chunk_id: str, quotes: Sequence[str]) -> str:
    """The entry's text; the focused passage in ``id="reader-focus"``, its quotes marked."""
    text = entry.text
    if focus_chunk_id not in entry.chunk_ids:
        return f'<div class="reader-text">{esc(text)}</div>'
    passage = entry.chunk_texts[entry.chunk_ids.index(focus_chunk_id)].strip()
    start = text.find(passage[:80]) if passage else -1
    if start < 0:  # not found as written: the whole entry is the focus
        start, end = 0, len(text)
    else:
        end = min(len(text), start + len(passage))
    return (f'<div class="reader-text">{esc(text[:start])}'
            f'<span class="reader-passage" id="reader-focus">'
            f"{mark_quotes(text[start:end], quotes)}</span>{esc(text[end:])}</div>")


def _link(url: str | None, label: str) -> str:
    address = web_url(url or "")
    if not address:
        return ""
    return (f'<a class="reader-link" href="{esc(address)}" target="_blank" '
            f'rel="noopener noreferrer">{esc(label)} ↗</a>')


def _comment(entry: ThreadEntry, focus_chunk_id: str, quotes: Sequence[str]) -> str:
    replying = ""
    if entry.reply_to is not None:
        replying = (f'<span class="reader-reply">replying to '
                    f"{esc(entry.reply_to or 'an anonymous reader')}</span>")
    cited = " cited" if focus_chunk_id in entry.chunk_ids else ""
    return (f'<article class="reader-comment{cited}" data-depth="{min(entry.depth, 6)}" '
            f'style="margin-left:{min(entry.depth, 6) * 18}px">'
            f'<div class="reader-meta"><strong>{esc(entry.author or "Anonymous")}</strong>'
            f" · <time>{esc(_when(entry))}</time> {replying} "
            f"{_link(entry.url, 'original')}</div>{_body(entry, focus_chunk_id, quotes)}"
            "</article>")


def render_thread(thread: Thread, focus_chunk_id: str, quotes: Sequence[str] = ()) -> str:
    """The post, then "N comments" with each as a card indented by its depth."""
    parts = [f'<div class="reader"><h3 class="reader-title">{esc(thread.title)}</h3>']
    post = thread.post
    if post is not None:
        by = f"by {esc(post.author)} · " if post.author else ""
        parts.append(f'<div class="reader-meta">{by}<time>{esc(_when(post))}</time> '
                     f"{_link(post.url, 'Open the original')}</div>")
        parts.append(f'<section class="reader-post">{_body(post, focus_chunk_id, quotes)}'
                     "</section>")
    else:
        parts.append('<p class="src-note">The post itself is not in the archive; its '
                     "comments are.</p>")
    n = len(thread.comments)
    parts.append(f'<h4 class="reader-count">{n} comment{"" if n == 1 else "s"}</h4>')
    parts += [_comment(c, focus_chunk_id, quotes) for c in thread.comments]
    if thread.left_out:
        parts.append(f'<p class="src-note">{thread.left_out} more passages of this thread '
                     "are not shown.</p>")
    parts.append("</div>")
    return "".join(parts)
