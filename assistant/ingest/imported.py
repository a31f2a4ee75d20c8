"""What reading one file yields, whatever its format: the posts kept, what was left out by
reason, and the blog's own title when the file names one (an export's channel title)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.records import Post

__all__ = ["Imported", "PostLink", "merge", "with_links"]


@dataclass(frozen=True)
class PostLink:
    """A post of the archive as a comment export finds it by its address: what its
    comments need to join its thread (``Post.thread_of``)."""

    post_id: str
    title: str
    date: str | None  # ISO
    url: str


@dataclass(frozen=True)
class Imported:
    """The posts one file (or one zip, or one post with its comment files) yields, and
    how many entries were left out and why (``("draft", 1)``, ``("comment spam", 2)``):
    the build report and ``stats`` show them per source. ``blog_title`` is the export's
    own name for the blog ("" when the file has none), for the page's title."""

    posts: tuple[Post, ...]
    left_out: tuple[tuple[str, int], ...] = ()
    blog_title: str = ""
    # Its comments may belong to posts of other files (a Disqus export): a build reads it
    # again with the archive's post addresses (``parse.read_file``'s ``posts_by_link``).
    wants_links: bool = False

    @classmethod
    def of(cls, posts: Iterable[Post], left_out: Counter[str] | dict[str, int] | None = None,
           blog_title: str = "") -> Imported:
        counts = {k: v for k, v in (left_out or {}).items() if v}
        return cls(tuple(posts), tuple(sorted(counts.items())), blog_title)


def merge(parts: Iterable[Imported]) -> Imported:
    """Several files read as one (a zip's members): posts in order, counts summed, the
    first blog title."""
    posts: list[Post] = []
    counts: Counter[str] = Counter()
    title = ""
    for part in parts:
        posts += part.posts
        counts.update(dict(part.left_out))
        title = title or part.blog_title
    return Imported.of(posts, counts, title)


def with_links(imported: Imported) -> Imported:
    """``imported`` marked to be read again with the archive's post addresses."""
    return Imported(imported.posts, imported.left_out, imported.blog_title, True)
