"""The sources panel: one card per passage of the newest question (its quotes highlighted,
cited and unverified ones badged), earlier questions folded away. Pure functions.

Card ``n`` of turn ``t`` has the id ``src-t-n`` that the answer's ``[n]`` links point to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from assistant.answer.references import web_address, when, where, who
from assistant.records import Answer, Hit
from assistant.ui.render import esc

__all__ = ["Turn", "mark_quotes", "quotes_by_n", "render_sources"]


@dataclass(frozen=True)
class Turn:
    """What the sources panel shows for one question (replaced, not changed, as the
    answer streams in)."""

    turn: int
    question: str
    passages: tuple[Hit, ...] = ()
    quotes: Mapping[int, Sequence[str]] = field(default_factory=dict)
    cited: frozenset[int] = frozenset()
    unverified: frozenset[int] = frozenset()
    refused: bool = False
    done: bool = False
    gaps: tuple[str, ...] = ()  # what was asked that the archive does not state

    def answered(self, answer: Answer) -> Turn:
        """This turn once ``answer`` is complete."""
        return Turn(self.turn, self.question, tuple(answer.passages) or self.passages,
                    quotes_by_n(answer), frozenset(c.n for c in answer.citations),
                    frozenset(c.n for c in answer.citations if not c.supported),
                    bool(answer.refused), True, tuple(answer.gaps))


def quotes_by_n(answer: Answer) -> dict[int, list[str]]:
    """Every distinct quote the answer cites, per passage number."""
    quotes: dict[int, list[str]] = {}
    for c in answer.citations:
        if c.quote and c.quote not in quotes.get(c.n, []):
            quotes.setdefault(c.n, []).append(c.quote)
    return quotes


def _spans(text: str, quotes: Sequence[str]) -> list[tuple[int, int]]:
    """Where each quote occurs in ``text`` (whitespace differences tolerated), merged."""
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        quote = (quote or "").strip()
        if not quote:
            continue
        start = text.find(quote)
        if start >= 0:
            spans.append((start, start + len(quote)))
            continue
        match = re.search(r"\s+".join(re.escape(w) for w in quote.split()), text)
        if match:
            spans.append(match.span())
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _highlight(text: str, quotes: Sequence[str], window: int = 320) -> str:
    """Escaped passage with each quote in ``<mark>``, trimmed around the first quote."""
    merged = _spans(text, quotes)
    lo, hi = 0, len(text)
    if merged and len(text) > 2 * window + 200:
        lo = max(0, merged[0][0] - window)
        hi = min(len(text), merged[-1][1] + window)
    parts, pos = [], lo
    for s, e in merged:
        if s < lo or e > hi:
            continue
        parts.append(esc(text[pos:s]))
        parts.append(f"<mark>{esc(text[s:e])}</mark>")
        pos = e
    parts.append(esc(text[pos:hi]))
    body = "".join(parts)
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(text) else "")


def mark_quotes(text: str, quotes: Sequence[str]) -> str:
    """Escaped ``text``, whole, with each quote in ``<mark>``."""
    return _highlight(text, quotes, window=len(text) + 1)


def _badges(t: Turn, n: int) -> str:
    badges = []
    if n in t.cited:
        badges.append('<span class="badge cited-badge">cited</span>')
    if n in t.unverified:
        badges.append('<span class="badge warn-badge" title="The sentence citing this '
                      'passage could not be matched to it">not verified</span>')
    return "".join(badges)


def _host(address: str) -> str:
    host = urlsplit(address).hostname or address
    return host.removeprefix("www.")


def _card(t: Turn, n: int, hit: Hit) -> str:
    kind = "comment" if hit.kind == "comment" else "post"
    classes = " ".join(["src-card", kind, *(["cited"] if n in t.cited else [])])
    address = web_address(hit)
    if address:  # named by its site: a Blogger comment's address runs to 120 characters
        label = f"{'the comment' if hit.kind == 'comment' else 'the post'} on {_host(address)}"
        where_html = (f'<a href="{esc(address)}" target="_blank" rel="noopener noreferrer" '
                      f'title="{esc(address)}">Open {esc(label)} ↗</a>')
    else:
        where_html = f"<code>{esc(where(hit))}</code>"
    return (
        f'<article class="{classes}" id="src-{t.turn}-{n}">'
        f'<div class="src-head"><span class="src-n">{n}</span>'
        f'<span class="src-title">{esc(hit.title or "Untitled")}</span>{_badges(t, n)}</div>'
        f'<div class="src-meta"><span class="kind {kind}">{esc(who(hit))}</span>'
        f'<span class="dot">·</span><time>{esc(when(hit))}</time></div>'
        f'<blockquote class="src-text">{_highlight(hit.text, t.quotes.get(n, []))}</blockquote>'
        f'<div class="src-file">{where_html}</div>'
        f'<button type="button" class="read-post" data-open="{t.turn}:{n}" '
        f'title="The whole post with its comments, this passage highlighted">'
        f"Read the whole {'thread' if kind == 'comment' else 'post'}</button></article>")


def _turn_html(t: Turn) -> str:
    if not t.passages:
        if not t.done:
            return '<p class="src-empty">Searching the archive…</p>'
        return ('<p class="src-empty">No passages matched. Try fewer filters or '
                "other words.</p>")
    heading = "Closest matches" if t.refused else "Nearby passages" if t.gaps else "Sources"
    note = ""
    if t.refused:
        note = ('<p class="src-note">The archive does not seem to answer this question. '
                "These are the passages that came closest.</p>")
    elif t.gaps:
        missing = "; ".join(esc(g) for g in t.gaps)
        note = ('<p class="src-note gap-note"><strong>Not in the archive:</strong> '
                f"{missing}. The answer says so, and what these passages say nearby.</p>")
    elif not t.done:
        note = '<p class="src-note">Writing the answer…</p>'
    cards = "".join(_card(t, n, h) for n, h in enumerate(t.passages, 1))
    return f'<h3 class="src-heading">{heading}</h3>{note}<div class="src-cards">{cards}</div>'


def render_sources(turns: Sequence[Turn]) -> str:
    """The sources panel: the newest question's cards, earlier ones folded away."""
    if not turns:
        return ('<div class="sources-panel"><div class="src-empty">'
                "<h3 class=\"src-heading\">Sources</h3>"
                "<p>Ask a question: the passages the answer is built from appear here, "
                "one card each, as soon as the search is done.</p></div></div>")
    newest, *older = list(reversed(turns))
    parts = [_turn_html(newest)]
    if older:
        parts.append('<div class="src-older"><h4>Earlier questions</h4>')
        for t in older:
            parts.append(f'<details class="src-turn" id="turn-{t.turn}"><summary>'
                         f"{esc(t.question)}</summary>{_turn_html(t)}</details>")
        parts.append("</div>")
    return f'<div class="sources-panel">{"".join(parts)}</div>'
