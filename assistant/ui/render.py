"""Answer text for the page: escaping, ``[n]`` linked to source card n, unverified sentences
marked, and the answer with its references as Markdown or plain text (the copy buttons and
``/chat``). Pure functions, tested without Gradio.

Every piece of archive or model text is HTML-escaped before it reaches the page: the chat
renders Markdown with HTML allowed (the citation links and warning spans are HTML), so
escaping here is what keeps a passage quoting ``<script>`` inert. The copies leave the page,
to be pasted where Markdown renders: their text goes through ``safe_markdown`` (no image, no
link but the passages' permalinks, no script URL, no HTML), as ``/v1`` replies do.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from assistant.answer.citations import UNVERIFIED_MARK
from assistant.answer.references import MARKDOWN, PLAIN_TEXT, references_block
from assistant.answer.sanitize import permalinks, safe_markdown
from assistant.records import Answer

__all__ = [
    "UNVERIFIED_MARK",
    "answer_markdown",
    "answer_plain",
    "esc",
    "md_esc",
    "render_answer",
    "strip_control",
]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#~|!$])")
_CITE = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Sentinels around an unverified sentence while the text is escaped; control characters are
# stripped from the text first, so these can only come from the marking.
_OPEN, _CLOSE = "\x01", "\x02"
_WARN_OPEN = ('<span class="unsupported" title="This sentence is not supported by the '
              'passage it cites">')
_WARN_CLOSE = ('</span><sup class="unsupported-mark" title="Citation not verified">'
               "⚠ unverified</sup>")


def esc(text: object) -> str:
    """HTML-escape anything for an attribute or element body."""
    return html.escape("" if text is None else str(text), quote=True)


def md_esc(text: str) -> str:
    """Escape text for the chat's Markdown: HTML first, then Markdown punctuation."""
    escaped = html.escape(text, quote=False)
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    # A line starting "1." or "-" would become a list; "&gt;" is already harmless.
    return re.sub(r"(?m)^(\s*)([-+]|\d+\.)(\s)", r"\1\\\2\3", escaped)


def strip_control(text: str | None) -> str:
    """``text`` without control characters (other than tab and newlines)."""
    return _CONTROL.sub("", text or "")


# The sentence before an "[unverified]" mark starts after the last sentence end before it.
# Not assistant.text.split_sentences: on 256 answers made of archive sentences with random
# marks the two disagreed on 5, each right where the other was wrong (this one 257 of 265
# marked sentences exact, split_sentences 258). split_sentences never ends a sentence before
# "•", "-" or a lower-case word within a line, and the answering layer joins list items into
# one line ("… needs. • A lack of …"), so it underlined the item before as well; this one
# ends a sentence after an abbreviation ("the no. of"). Kept: the page marks what it did.
_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*\s+")


def _mark_unverified(text: str) -> str:
    """Wrap each sentence followed by ``[unverified]`` (the answering layer's mark) in
    sentinels, dropping the mark itself: it is drawn as a warning instead."""
    if UNVERIFIED_MARK not in text:
        return text
    pieces = text.split(UNVERIFIED_MARK)
    out = []
    for piece in pieces[:-1]:
        body = piece.rstrip()
        ends = [m.end() for m in _SENTENCE_END.finditer(body)]
        start = ends[-1] if ends else len(body) - len(body.lstrip())
        out.append(f"{body[:start]}{_OPEN}{body[start:]}{_CLOSE}")
    out.append(pieces[-1])
    return "".join(out)


def _cite_links(numbers: str, n_passages: int, turn: int, titles: Sequence[str]) -> str:
    links = []
    for raw in numbers.split(","):
        n = int(raw)
        if 1 <= n <= n_passages:
            title = titles[n - 1] if n - 1 < len(titles) else f"source {n}"
            links.append(f'<a class="cite" href="#src-{turn}-{n}" '
                         f'title="Source {n}: {esc(title)}">{n}</a>')
        else:  # not a passage of this answer: left as text
            links.append(f"\\[{n}\\]")
    return "".join(links)


def render_answer(text: str, n_passages: int, turn: int = 0,
                  unsupported: Sequence[str] = (), titles: Sequence[str] = ()) -> str:
    """Answer text as safe chat Markdown: escaped, ``[n]`` linked to card n, and
    sentences whose citation did not check out wrapped in a warning span."""
    text = _mark_unverified(strip_control(text))
    for sentence in unsupported:
        sentence = strip_control(sentence).strip()
        if sentence and sentence in text:
            text = text.replace(sentence, f"{_OPEN}{sentence}{_CLOSE}", 1)
    out: list[str] = []
    pos = 0
    for match in _CITE.finditer(text):
        out.append(md_esc(text[pos:match.start()]))
        out.append(_cite_links(match.group(1), n_passages, turn, titles))
        pos = match.end()
    out.append(md_esc(text[pos:]))
    return "".join(out).replace(_OPEN, _WARN_OPEN).replace(_CLOSE, _WARN_CLOSE)


def _safe_text(answer: Answer) -> str:
    return safe_markdown(answer.text, permalinks(answer.passages)).strip()


def answer_plain(answer: Answer) -> str:
    """The answer with its references as plain text (also what ``/chat`` returns)."""
    block = references_block(answer, PLAIN_TEXT)
    text = _safe_text(answer)
    return f"{text}\n\n{block}" if block else text


def answer_markdown(answer: Answer) -> str:
    """The answer with its references as Markdown (the text as written, made safe)."""
    block = references_block(answer, MARKDOWN)
    text = _safe_text(answer)
    return f"{text}\n\n{block}" if block else text
