"""The corpus as files: walking the folder, and the per-file row the chunk store records.

A ``FileRow`` is what a build remembers of each file (its digest, size and mtime, and
whether it was indexed or skipped) so that the next build re-reads only the files that
changed: a file whose size and mtime are unchanged is not even hashed again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest import SkippedFile, parse_file
from assistant.ingest.chunking import ChunkerConfig, chunk_post

_log = logging.getLogger(__name__)

__all__ = ["CorpusFile", "FileRow", "corpus_embed_texts", "format_left_out", "iter_corpus_files",
           "walk_corpus"]


@dataclass(frozen=True)
class FileRow:
    """One row of the chunk store's ``files`` table, in its column order."""

    source: str                # corpus-relative POSIX path
    sha256: str | None
    size: int | None
    mtime_ns: int | None
    status: str                # indexed | skipped | attached (read with a post: ``companions``)
    reason: str | None = None  # why it was skipped
    posts: int = 0
    chunks: int = 0
    comments: int = 0
    # What the file left out, by reason: "draft=2;comment spam=14" (``left_out_counts``).
    left_out: str = ""
    blog_title: str = ""  # the export's own name for the blog, for the page's title

    @classmethod
    def of(cls, row: FileRow | tuple) -> FileRow:
        """A row given as a record or as the table's tuple (``build_from_chunks``)."""
        return row if isinstance(row, FileRow) else cls(*row)

    def restat(self, size: int, mtime_ns: int) -> FileRow:
        """The same file with a new size and mtime (``dataclasses.replace`` took 15 µs a
        row, most of an unchanged build's planning)."""
        return FileRow(self.source, self.sha256, size, mtime_ns, self.status, self.reason,
                       self.posts, self.chunks, self.comments, self.left_out, self.blog_title)

    def astuple(self) -> tuple:
        """The table's column order (``dataclasses.astuple`` deep-copies: 10 times slower)."""
        return (self.source, self.sha256, self.size, self.mtime_ns, self.status, self.reason,
                self.posts, self.chunks, self.comments, self.left_out, self.blog_title)

    @property
    def left_out_counts(self) -> dict[str, int]:
        """``left_out`` as ``{"draft": 2, "comment spam": 14}``."""
        pairs = (item.rpartition("=") for item in self.left_out.split(";") if item)
        return {reason: int(n) for reason, _, n in pairs if n.isdigit()}

    @property
    def indexed(self) -> bool:
        return self.status == "indexed"


def format_left_out(left_out: tuple[tuple[str, int], ...]) -> str:
    """``Imported.left_out`` as the files table stores it (``FileRow.left_out``)."""
    return ";".join(f"{reason.replace(';', ',').replace('=', ' ')}={n}"
                    for reason, n in left_out if n)


@dataclass(frozen=True)
class CorpusFile:
    """A visible regular file of the corpus, as the walk found it."""

    source: str  # corpus-relative POSIX path
    path: str    # absolute (or as given) path, a string: see ``walk_corpus``
    size: int
    mtime_ns: int


def walk_corpus(corpus_dir: Path) -> list[CorpusFile]:
    """Every visible regular file, sorted by path components. A link leading out of the
    folder is skipped: what the archive serves stays inside the folder its operator chose.

    ``os.scandir`` on strings: walking 10,000 files with ``pathlib`` cost a second a build.
    """
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    found: list[tuple[tuple[str, ...], str, os.stat_result]] = []
    pending: list[tuple[tuple[str, ...], str]] = [((), str(corpus_dir))]
    root = os.path.realpath(corpus_dir)
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                # Security: a link out of the corpus folder is not the archive's to serve
                # (benchmarks.probes: a linked file outside it came back from /search).
                if entry.is_symlink() and os.path.commonpath(
                        [os.path.realpath(entry.path), root]) != root:
                    _log.warning("skipped %s: a link out of the corpus folder (copy the "
                                 "files in, or point ASSISTANT_CORPUS_DIR at them)", entry.path)
                    continue
                if entry.is_dir():
                    pending.append(((*prefix, entry.name), entry.path))
                elif entry.is_file():
                    found.append(((*prefix, entry.name), entry.path, entry.stat()))
    found.sort(key=lambda item: item[0])
    return [CorpusFile("/".join(parts), path, stat.st_size, stat.st_mtime_ns)
            for parts, path, stat in found]


def iter_corpus_files(corpus_dir: Path) -> Iterator[tuple[str, Path]]:
    """(corpus-relative POSIX path, absolute path) for every visible regular file, sorted."""
    for file in walk_corpus(Path(corpus_dir)):
        yield file.source, Path(file.path)


def corpus_embed_texts(corpus_dir: str | os.PathLike, config: ChunkerConfig) -> list[str]:
    """The texts a build would embed for ``corpus_dir`` (unreadable files left out): for
    measuring embedders on real chunks."""
    texts: list[str] = []
    for source, path in iter_corpus_files(Path(corpus_dir)):
        try:
            posts = parse_file(path, source)
        except SkippedFile:
            continue
        texts += [c.embed_text for post in posts for c in chunk_post(post, config)]
    return texts
