"""Files read with another: a static site's Staticman comment files go with their post.

A build reads one file at a time, but Jekyll (and Hugo or Eleventy set up the same way)
files each reader comment as its own YAML or JSON file under
``<site>/_data/comments/<post slug>/``. Those files are *attached*: the post is parsed with
them (its digest covers theirs, so a new, edited or deleted comment file re-reads just that
post, and only the changed comments are embedded again), and they are recorded in the
files table as ``attached`` to the post, neither indexed nor skipped. A comment folder
whose slug names no post of the site is skipped saying so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.index.files import CorpusFile
from assistant.ingest.staticman import pair_comment_files

__all__ = ["Companions", "combined_digest", "find_companions"]


@dataclass(frozen=True)
class Companions:
    """Each post's comment files (``of_post``), the post each comment file goes with
    (``post_of``), and why a comment file that goes with none is skipped (``orphans``)."""

    of_post: dict[str, tuple[CorpusFile, ...]] = field(default_factory=dict)
    post_of: dict[str, str] = field(default_factory=dict)
    orphans: dict[str, str] = field(default_factory=dict)


def find_companions(files: Sequence[CorpusFile]) -> Companions:
    """The corpus's comment files matched to their posts (``staticman.pair_comment_files``:
    by site folder and slug)."""
    paired, orphans = pair_comment_files([f.source for f in files])
    if not paired and not orphans:
        return Companions()
    by_source = {f.source: f for f in files}
    return Companions({post: tuple(by_source[c] for c in comments)
                       for post, comments in paired.items()},
                      {c: post for post, comments in paired.items() for c in comments},
                      orphans)


def combined_digest(own: str, attached: Sequence[tuple[str, str]]) -> str:
    """A post file's digest with its comment files' (``(source, sha256)``): any of them
    changing, appearing or going changes it."""
    hasher = hashlib.sha256(own.encode())
    for source, sha in sorted(attached):
        hasher.update(f"\n{source}\t{sha}".encode())
    return hasher.hexdigest()
