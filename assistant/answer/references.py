"""The reference list under an answer: which passages it names, and the line for each.

One renderer for every caller (the page's copies and ``/chat``, the CLI, ``/v1``), so the
line cannot drift again; it wrote "comment #?", "Reader comment", "reader comment" and linked
a title to any URL, depending on the copy. ``references(answer)`` picks the rows: each cited
passage once, in number order, with the quote of a citation that checked out (else the
first); for a refusal, every passage as the closest matches. ``reference_line`` writes

    [n] Title — date — who — where

where *who* is "Post by X", "Reader comment #3 by X" or "Reader comment #3.1 by Y, replying
to X" and *where* is the passage's permalink (a comment's own, ``…#comment-123``, when the
export gives one) when it has an ``http(s)`` one (nothing else is ever shown as a link),
else its corpus file; a passage none of whose citations checked out ends "[does not support
the claim]". A ``ReferenceStyle`` says only what the callers need to differ in: the
number's marker, ISO dates and lower-case labels (terminals and programs), Markdown, the
quote lines. Pure functions over ``assistant.records``; nothing here escapes HTML (the page
does that), but every piece of archive text in a line (title, author, file, quote) is
``safe_markdown``: a planted title cannot put an image or a link into a copied answer.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from assistant.answer.sanitize import safe_markdown, web_url
from assistant.records import Answer, Hit, replying

__all__ = [
    "CHAT_COMPLETION",
    "CLOSEST_MATCHES",
    "MARKDOWN",
    "PLAIN_TEXT",
    "REFERENCES",
    "TERMINAL",
    "UNSUPPORTED_FLAG",
    "Reference",
    "ReferenceStyle",
    "reference_line",
    "references",
    "references_block",
    "web_address",
    "when",
    "where",
    "who",
]

REFERENCES = "References"
CLOSEST_MATCHES = "Closest matches"
UNSUPPORTED_FLAG = "[does not support the claim]"
PASSAGE_CHARS = 200  # a quote line in a terminal is cut to about this


@dataclass(frozen=True)
class Reference:
    """Passage ``n`` as listed under an answer; ``quote`` is empty for a closest match."""

    n: int
    hit: Hit
    quote: str = ""
    supported: bool = True  # False: no citation of this passage checked out


@dataclass(frozen=True)
class ReferenceStyle:
    """How one caller writes the list; the line's parts and their order are shared."""

    marker: str = "[{n}]"  # how the number is written: "[1]", "1." (a Markdown list), "- [1]"
    iso_dates: bool = False  # 2014-03-03 (terminals, programs) or 3 Mar 2014 (people)
    lower_case: bool = False  # "post by X" inside a terminal line or a chat message
    markdown: bool = False  # *Title*, the address as <link> or `file`, quotes as "> …"
    quotes: bool = True  # the quote that backs each cited passage, under its line
    # A terminal has no source cards: a row without a quote (a closest match) shows its
    # passage instead, and every quote line is cut to about PASSAGE_CHARS.
    terminal: bool = False


PLAIN_TEXT = ReferenceStyle()  # the page's "copy as text" and the page's /chat endpoint
MARKDOWN = ReferenceStyle(marker="{n}.", markdown=True)  # the page's "copy as Markdown"
TERMINAL = ReferenceStyle(iso_dates=True, lower_case=True, terminal=True)  # ``ask``
CHAT_COMPLETION = ReferenceStyle(marker="- [{n}]", iso_dates=True, lower_case=True,
                                 quotes=False)  # the reply of /v1/chat/completions


def who(hit: Hit, *, lower_case: bool = False) -> str:
    """"Post by X", "Post", "Reader comment #3 by X", "Reader comment #3 (anonymous)";
    a reply says whom it answers: "Reader comment #3.1 by Y, replying to X"."""
    if hit.kind == "comment":
        label = f"Reader comment #{hit.comment_number}" if hit.comment_number else \
            "Reader comment"
        label = f"{label} by {hit.author}" if hit.author else f"{label} (anonymous)"
        label += replying(hit.reply_to)
    else:
        label = f"Post by {hit.author}" if hit.author else "Post"
    return label[0].lower() + label[1:] if lower_case else label


def when(hit: Hit, *, iso: bool = False) -> str:
    """The passage's date: "3 Mar 2014" (or ISO ``2014-03-03``), or "undated"."""
    if hit.date is None:
        return "undated"
    return hit.date.isoformat() if iso else f"{hit.date.day} {hit.date:%b %Y}"


def web_address(hit: Hit) -> str | None:
    """The post's URL if it is a well-formed ``http(s)`` address (``sanitize.web_url``); any
    other scheme (``javascript:``, ``file:``) from an imported export is never shown as an
    address, so never becomes a link."""
    return web_url(hit.url)


def where(hit: Hit) -> str:
    """The post's web address, else its corpus-relative file."""
    return web_address(hit) or hit.source


def _cited(answer: Answer) -> tuple[Reference, ...]:
    by_n: dict[int, Reference] = {}
    for c in answer.citations:
        known = by_n.get(c.n)
        if known is None or (c.supported and not known.supported):
            by_n[c.n] = Reference(c.n, c.hit, c.quote or "", c.supported)
    return tuple(by_n[n] for n in sorted(by_n))


def references(answer: Answer) -> tuple[str, tuple[Reference, ...]]:
    """``(heading, rows)``: the cited passages, or for a refusal the closest matches."""
    if answer.refused:
        return CLOSEST_MATCHES, tuple(Reference(n, hit) for n, hit in
                                      enumerate(answer.passages, 1))
    return REFERENCES, _cited(answer)


def reference_line(n: int, hit: Hit, style: ReferenceStyle = PLAIN_TEXT, *,
                   supported: bool = True) -> str:
    """``[n] Title — date — who — where`` in ``style``; an unsupported citation is flagged."""
    address = web_address(hit)
    title, place = safe_markdown(hit.title), address or safe_markdown(hit.source)
    if style.markdown:  # a file name is a code span: nothing in it renders
        title, place = f"*{title}*", f"<{address}>" if address else \
            f"`{hit.source.replace('`', '')}`"
    parts = (title, when(hit, iso=style.iso_dates),
             safe_markdown(who(hit, lower_case=style.lower_case)), place)
    line = f"{style.marker.format(n=n)} {' — '.join(parts)}"
    return line if supported else f"{line}  {UNSUPPORTED_FLAG}"


def _quote_line(row: Reference, style: ReferenceStyle) -> str | None:
    text = " ".join(safe_markdown(row.quote).split()) if style.quotes else ""
    if style.terminal:
        text = textwrap.shorten(text or safe_markdown(row.hit.text), PASSAGE_CHARS,
                                placeholder=" …")
    if not text:
        return None
    return f"   > {text}" if style.markdown else f'    "{text}"'


def references_block(answer: Answer, style: ReferenceStyle = PLAIN_TEXT) -> str:
    """The heading and one line per row (with its quote line); "" when there are no rows."""
    heading, rows = references(answer)
    if not rows:
        return ""
    lines = [f"**{heading}**", ""] if style.markdown else [f"{heading}:"]
    for row in rows:
        lines.append(reference_line(row.n, row.hit, style, supported=row.supported))
        quote = _quote_line(row, style)
        if quote:
            lines.append(quote)
    return "\n".join(lines)
