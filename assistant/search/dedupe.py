"""Near-duplicate passages: the same paragraph quoted in a comment, or a post saved twice,
should take one place in the results, not several."""

from __future__ import annotations

import re

__all__ = ["Shingles", "near_duplicate", "shingles"]

Shingles = set[tuple[str, ...]]
_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Shingles:
    """The text's overlapping word ``n``-grams, lower-cased."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def near_duplicate(a: Shingles, b: Shingles, threshold: float = 0.6) -> bool:
    """Near-duplicates share most shingles, or one is (almost) contained in the other."""
    if not a or not b:
        return False
    common = len(a & b)
    return common / len(a | b) >= threshold or common / min(len(a), len(b)) >= 0.85
