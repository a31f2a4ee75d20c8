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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.index.files import CorpusFile
from assistant.ingest.markdown import post_slug
from assistant.ingest.staticman import COMMENT_SUFFIXES

__all__ = ["Companions", "combined_digest", "find_companions"]

_COMMENT_FILE = re.compile(r"^(?P<site>(?:.*/)?)_data/comments/(?P<slug>[^/]+)/[^/]+$")
_POST_SUFFIXES = (".md", ".markdown", ".html", ".htm")


@dataclass(frozen=True)
class Companions:
    """Each post's comment files (``of_post``), the post each comment file goes with
    (``post_of``), and why a comment file that goes with none is skipped (``orphans``)."""

    of_post: dict[str, tuple[CorpusFile, ...]] = field(default_factory=dict)
    post_of: dict[str, str] = field(default_factory=dict)
    orphans: dict[str, str] = field(default_factory=dict)


def find_companions(files: Sequence[CorpusFile]) -> Companions:
    """The comment files of ``files`` matched to their posts by site folder and slug (a
    post under ``_posts/`` wins over a draft or a page with the same slug)."""
    comments = _comment_folders(files)
    if not comments:
        return Companions()
    posts = _posts_named(files, comments.keys())
    found = Companions()
    for key, attached in comments.items():
        post = posts.get(key)
        for file in attached:
            if post is None:
                found.orphans[file.source] = (
                    f"a Staticman comment file, but no post named {key[1]!r} in "
                    f"{key[0] or 'the corpus folder'} (a post file is named "
                    f"YYYY-MM-DD-{key[1]}.md or {key[1]}.md)")
            else:
                found.post_of[file.source] = post
        if post is not None:
            found.of_post[post] = tuple(sorted(attached, key=lambda f: f.source))
    return found


def _comment_folders(files: Sequence[CorpusFile]) -> dict[tuple[str, str], list[CorpusFile]]:
    """The comment files by ``(site folder, post slug)``."""
    comments: dict[tuple[str, str], list[CorpusFile]] = {}
    for file in files:
        match = _COMMENT_FILE.match(file.source)
        if match and file.source.lower().endswith(COMMENT_SUFFIXES):
            comments.setdefault((match["site"], match["slug"]), []).append(file)
    return comments


def _posts_named(files: Sequence[CorpusFile], keys: Iterable[tuple[str, str]]
                 ) -> dict[tuple[str, str], str]:
    """The post file of each ``(site folder, slug)`` in ``keys`` that has one."""
    wanted = set(keys)
    sites = {site for site, _ in wanted}
    posts: dict[tuple[str, str], str] = {}
    for file in files:
        source = file.source
        if not source.lower().endswith(_POST_SUFFIXES) or "/_data/" in f"/{source}":
            continue
        for site in sites:
            key = (site, post_slug(source))
            if source.startswith(site) and key in wanted and (
                    key not in posts or _rank(source) < _rank(posts[key])):
                posts[key] = source
    return posts


def combined_digest(own: str, attached: Sequence[tuple[str, str]]) -> str:
    """A post file's digest with its comment files' (``(source, sha256)``): any of them
    changing, appearing or going changes it."""
    hasher = hashlib.sha256(own.encode())
    for source, sha in sorted(attached):
        hasher.update(f"\n{source}\t{sha}".encode())
    return hasher.hexdigest()


def _rank(source: str) -> int:
    return 0 if "/_posts/" in f"/{source}" else 1
