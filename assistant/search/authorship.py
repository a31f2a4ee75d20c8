"""Authorship questions: "who wrote …" is answered by the passage that carries the sign-off.

A quoted letter or guest piece is split into chunks, and only the last of them holds the
writer's name; the others match the topic of the question but not its answer. For a
question that asks who wrote, signed or authored something, each well-ranked passage of a
signed section (see ``ingest.signatures.signed_sections``) brings its section's sign-off
passage in just ahead of it.
"""

from __future__ import annotations

import re

from assistant.index.store import ChunkStore

__all__ = ["is_authorship_question", "promote_sign_offs"]

_AUTHORSHIP_RE = re.compile(
    r"\b(?:who|whose|which (?:person|writer|author))\b[^?]{0,40}?\b"
    r"(?:wrote|write|writes|written|authored|penned|signed|sent|composed)\b"
    r"|\b(?:author|writer|signatory)\s+of\b|\bwritten by whom\b|\bby whom\b",
    re.IGNORECASE,
)
PROMOTE_FROM_TOP = 5  # only passages this high up bring in their sign-off


def is_authorship_question(query: str) -> bool:
    """True for "Who wrote …?", "Who signed the letter …?", "Who is the author of …?"."""
    return bool(_AUTHORSHIP_RE.search(query))


def promote_sign_offs(ordered: list[tuple[int, float]], store: ChunkStore
                      ) -> list[tuple[int, float]]:
    """Put each top passage's sign-off passage (same post, same writer) just ahead of it.

    ``ordered`` is a best-first list of (row id, score); the promoted passage takes the
    score of the passage that brought it in. Passages without a signed writer are left as
    they are, and so is everything when no top passage was signed.
    """
    top = [row_id for row_id, _ in ordered[:PROMOTE_FROM_TOP]]
    if not top:
        return ordered
    sign_off_for = store.sign_offs(top)
    if not sign_off_for:
        return ordered
    promoted: list[tuple[int, float]] = []
    placed: set[int] = set()
    for row_id, score in ordered:
        extra = sign_off_for.get(row_id)
        if extra is not None and extra not in placed:
            promoted.append((extra, score))
            placed.add(extra)
        if row_id not in placed:
            promoted.append((row_id, score))
            placed.add(row_id)
    return promoted
