"""Text clean-up shared by every parser: newlines, control characters, spaces, paragraphs."""

from __future__ import annotations

import re

__all__ = [
    "clean_lines",
    "norm_line",
    "prepare",
    "word_count",
]

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_BULLET_RE = re.compile(r"^[•●▪◦‣∙·]\s*")


def prepare(text: str) -> str:
    """Strip a BOM, unify newlines, drop stray control characters."""
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x0c", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROL_RE.sub("", text)


def norm_line(line: str) -> str:
    """One line with odd spaces unified, runs collapsed, ends trimmed, bullets tidied."""
    line = _SPACE_RE.sub(" ", _INVISIBLE_RE.sub("", line)).strip()
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
