"""Text clean-up shared by every parser: newlines, control characters, spaces, paragraphs.

Security decision, enforced here for every format: text a reader of the original could not
see never reaches a chunk, where it would be quoted to the model as archive text. HTML
comments are dropped (``prepare``), and so are zero-width, bidirectional-override and Unicode
tag characters (``norm_line``): they split words so that a filter misses them ("Assistant:"
with a zero-width space inside) or smuggle text no one sees. Elements hidden by their markup
are dropped by ``htmlpage``.
"""

from __future__ import annotations

import re

__all__ = [
    "INVISIBLE_RE",
    "clean_lines",
    "norm_line",
    "prepare",
    "word_count",
]

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# Soft hyphen, combining grapheme joiner, Arabic letter mark, Mongolian vowel separator and
# variation selectors, zero-width spaces and joiners, bidirectional marks, embeddings and
# isolates, invisible operators, the BOM, variation selectors (the supplement too) and tag
# characters. None occurs in the shipped corpus.
INVISIBLE_RE = re.compile("[\u00ad\u034f\u061c\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                          "\u2060-\u206f\ufe00-\ufe0e\ufeff\U000e0000-\U000e007f"
                          "\U000e0100-\U000e01ef]")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_BULLET_RE = re.compile(r"^[•●▪◦‣∙·]\s*")


def prepare(text: str) -> str:
    """Strip a BOM, unify newlines, drop stray control characters and HTML comments."""
    text = _COMMENT_RE.sub("", text.removeprefix("\ufeff"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x0c", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROL_RE.sub("", text)


def norm_line(line: str) -> str:
    """One line with odd spaces unified, runs collapsed, ends trimmed, bullets tidied."""
    line = _SPACE_RE.sub(" ", INVISIBLE_RE.sub("", line)).strip()
    return _BULLET_RE.sub("• ", line) if _BULLET_RE.match(line) else line


def clean_lines(lines: list[str]) -> str:
    """Normalised lines; paragraphs separated by exactly one blank line."""
    out: list[str] = []
    for raw in lines:
        line = norm_line(raw)
        if line:
            out.append(line)
        elif out and out[-1]:
            out.append("")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def word_count(line: str) -> int:
    """Whitespace-separated words in ``line``."""
    return len(line.split())
