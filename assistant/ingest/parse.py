"""One file or text to posts: the format is chosen by content first, then by suffix."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from assistant.ingest.archives import is_archive, read_zip
from assistant.ingest.blogger import looks_like_blogger, read_blogger
from assistant.ingest.blogtext import parse_blog_text
from assistant.ingest.disqus import looks_like_disqus, read_disqus
from assistant.ingest.feeds import looks_like_feed, read_feed
from assistant.ingest.files import SkippedFile, check_suffix, read_text
from assistant.ingest.frontmatter import front_matter
from assistant.ingest.ghost import NOT_GHOST, looks_like_ghost, read_ghost
from assistant.ingest.htmlpage import looks_like_html, parse_html
from assistant.ingest.imported import Imported, PostLink
from assistant.ingest.markdown import read_markdown
from assistant.ingest.staticman import with_comments
from assistant.ingest.takeout import looks_like_takeout, read_takeout
from assistant.ingest.whitespace import prepare
from assistant.ingest.wxr import looks_like_wxr, read_wxr
from assistant.records import Post

__all__ = [
    "PARSER_VERSION",
    "parse_file",
    "parse_text",
    "read_file",
    "read_source_text",
]

# Bumped whenever a parser's output changes for some input, so that an existing index parses
# every file again instead of keeping old text for files whose bytes did not change (chunks
# whose text is unchanged keep their ids and vectors: nothing is embedded twice).
# 2: Markdown through markdown-it-py and front matter through YAML (was hand-written).
# 3: hidden HTML elements, HTML comments and invisible characters dropped (planted text).
# 4: not a parser change: BM25 gained sentence postings and a year field (index.lexical),
#    which every passage needs; re-parsing re-indexes them, reusing every vector.
# 5: chunks keep paragraph breaks (a blank line), so headings and sign-offs stay sentences.
# 6: WordPress (WXR) and Blogger exports are read as blogs (they were skipped as .xml).
# 7: Disqus, Ghost, RSS/Atom feeds, Google Takeout and zips read; Markdown without template
#    tags and footnote markers, dates from Jekyll file names, drafts left out; Staticman
#    comment files read with their posts (``index.companions``).
PARSER_VERSION = 7

# Exports read by their content, whatever the file is called. Order matters where one format
# is a kind of another: a WordPress export is RSS and a Blogger export is Atom.
_EXPORTS: tuple[tuple[Callable[[str], bool], Callable[[str, str], Imported]], ...] = (
    (looks_like_wxr, read_wxr),
    (looks_like_blogger, read_blogger),
    (looks_like_disqus, read_disqus),
    (looks_like_takeout, read_takeout),  # Blogger in Google Takeout: Atom too
    (looks_like_feed, read_feed),
)

# The readers that know drafts (the owner may index them: ``Settings.include_drafts``)
_WITH_DRAFTS = frozenset({read_wxr, read_blogger, read_takeout})
_NOT_A_POST_YAML = ("a YAML data file, not a post (a Staticman comment file is read with its "
                    "post: <site>/_data/comments/<slug>/ beside a post named <slug>)")
_DATA_FILES = {".json": NOT_GHOST, ".yml": _NOT_A_POST_YAML, ".yaml": _NOT_A_POST_YAML}


def parse_file(path: Path, source: str, max_bytes: int = 20 * 1024 * 1024) -> list[Post]:
    """Read and parse one file. Raises ``SkippedFile`` for empty, binary, oversized files."""
    return list(read_file(path, source, max_bytes).posts)


def read_file(path: Path, source: str, max_bytes: int = 20 * 1024 * 1024,
              companions: Sequence[str] = (),
              posts_by_link: Mapping[str, PostLink] | None = None,
              include_drafts: bool = False) -> Imported:
    """Read one file: its posts, what it left out by reason, its blog title; a static
    site's post with its ``companions``, the paths of its Staticman comment files; a
    Disqus export's threads joined to the posts ``posts_by_link`` has for their addresses;
    drafts too with ``include_drafts`` (the owner's setting). Raises ``SkippedFile`` for
    empty, binary, oversized files and for one that yields no post."""
    path = Path(path)
    if is_archive(path.name):  # read in place, each member as a file (``archives``)
        return read_zip(path, source, max_bytes,
                        functools.partial(read_source_text, include_drafts=include_drafts))
    text = read_text(path, max_bytes)
    prepared = prepare(text) if posts_by_link is not None else ""
    if prepared and looks_like_disqus(prepared):  # read again with the archive's addresses
        imported = read_disqus(prepared, source, posts_by_link)
    else:
        imported = read_source_text(text, source, path.suffix.lower(), include_drafts)
    if not imported.posts:
        if imported.left_out:  # "draft: true": say so, not "no text"
            raise SkippedFile("nothing published: " + ", ".join(
                f"{reason} {n}" for reason, n in imported.left_out))
        raise SkippedFile("no text found")
    if companions:
        files, unread = [], 0
        for companion in companions:
            try:
                files.append((Path(companion).name, read_text(Path(companion), max_bytes)))
            except SkippedFile:
                unread += 1
        imported = with_comments(imported, files, unread)
    return imported


def parse_text(text: str, source: str, suffix: str = ".txt") -> list[Post]:
    """Parse decoded text (see ``read_source_text``) to its posts."""
    return list(read_source_text(text, source, suffix).posts)


def read_source_text(text: str, source: str, suffix: str = ".txt",
                     include_drafts: bool = False) -> Imported:
    """Read decoded text: a WordPress, Blogger, Disqus or Ghost export or an RSS or Atom
    feed by its content, whatever its name; else ``suffix`` picks the format (.txt, .md,
    .html)."""
    suffix = suffix.lower()
    if suffix and not suffix.startswith("."):
        suffix = "." + suffix
    check_suffix(suffix)
    raw = text.removeprefix("\ufeff")
    if looks_like_ghost(raw):  # before ``prepare``: dropping "<!--…-->" spans could cut JSON
        return read_ghost(raw, source, include_drafts=include_drafts)
    text = prepare(text)
    if not text.strip():
        return Imported(())
    if suffix in _DATA_FILES:  # a data file that is not an export: say what it is
        raise SkippedFile(_DATA_FILES[suffix])
    for looks_like, read in _EXPORTS:
        if looks_like(text):
            return (read(text, source, include_drafts=include_drafts) if read in _WITH_DRAFTS
                    else read(text, source))
    if suffix in (".xml", ".atom"):
        raise SkippedFile("an XML file that is neither a WordPress (WXR), Blogger or Disqus "
                          "export nor an RSS or Atom feed; export the blog from its Tools or "
                          "Settings page")
    if suffix in (".html", ".htm") or looks_like_html(text):
        return Imported.of(parse_html(text, source))
    if suffix in (".md", ".markdown") or front_matter(text)[0]:
        return read_markdown(text, source, include_drafts=include_drafts)
    return Imported.of(parse_blog_text(text, source))

