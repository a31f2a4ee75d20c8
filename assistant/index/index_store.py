"""A published index version opened for reading: manifest, chunk store, dense and BM25.

An open store holds a lease on its version (``leases``), so no build's cleanup deletes it
while it is read, in this process or another; ``close`` releases it.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from assistant.index.dense import DenseIndex, DenseSpec
from assistant.index.files import FileRow
from assistant.index.integrity import Problem, Verification, open_checked
from assistant.index.leases import Lease, VersionGoneError
from assistant.index.lexical import BadPostings, LexicalIndex
from assistant.index.manifest import IndexMismatchError
from assistant.index.store import CHUNKS_FILE, ChunkStore, connect_readonly
from assistant.index.versions import IndexNotFoundError, read_current

__all__ = ["IndexStore"]

_OPEN_ATTEMPTS = 3  # reads of CURRENT when the version it named is retired before its lease


class IndexStore(ChunkStore):
    """A published, read-only index version: manifest, chunk store, dense and BM25 indexes.

    The chunk store's queries (``chunks_by_ids``, ``ids_by_author``, ``authors``,
    ``sign_offs``, ``titles``, ``count``) are ``ChunkStore``'s; the dense and lexical
    indexes load on first use.
    """

    def __init__(self, version_dir: Path):
        self.path = Path(version_dir)
        self.lease = Lease(self.path)  # before any file is read: none is deleted under us
        try:
            self.manifest = open_checked(self.path)  # sizes; checksums after a killed build
            for mismatch in self.manifest.check(where=self.path):
                raise IndexMismatchError(mismatch.message)
            super().__init__(connect_readonly(self.path / CHUNKS_FILE))
        except BaseException:
            self.lease.release()
            raise
        self._dense: DenseIndex | None = None
        self._lexical: LexicalIndex | None = None
        self._load_lock = threading.Lock()  # concurrent first searches load each part once

    @classmethod
    def open(cls, index_dir: str | os.PathLike) -> IndexStore:
        """The version ``CURRENT`` names, leased."""
        index_dir = Path(index_dir)
        for attempt in range(1, _OPEN_ATTEMPTS + 1):
            version = read_current(index_dir)
            if version is None:
                raise IndexNotFoundError(
                    f"no index in {index_dir}: build one with `python -m assistant index`")
            try:
                return cls(version)
            except VersionGoneError:
                # Two publishes between reading CURRENT and the lease: read it again.
                if attempt == _OPEN_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the chunk store, drop the loaded indexes and release the lease."""
        try:
            super().close()
        finally:
            self._dense = self._lexical = None
            self.lease.release()

    @property
    def dense_spec(self) -> DenseSpec:
        return self.manifest.dense

    @property
    def dense(self) -> DenseIndex:
        with self._load_lock:
            if self._dense is None:
                self._dense = DenseIndex.load(self.path, self.dense_spec)
        return self._dense

    @property
    def lexical(self) -> LexicalIndex:
        """BM25 postings and the date/kind filter columns, one row per chunk."""
        with self._load_lock:
            if self._lexical is None:
                try:
                    self._lexical = LexicalIndex.load(self.path / "lexical")
                except BadPostings as exc:  # the one-line error naming the file and the fix
                    problem = Problem(f"lexical/{exc.file}", exc.detail)
                    raise Verification(self.path, self.manifest, (problem,)).error() from exc
        return self._lexical

    def stats(self) -> dict[str, object]:
        """Counts and sizes recorded at build time (no scan of the chunk store or folder)."""
        counts = self.manifest.counts
        files = self.file_status_counts()
        sources = self.file_rows().values()
        return {
            "posts": counts.posts if counts else 0,
            "comments": counts.comments if counts else 0,
            "chunks": counts.chunks if counts else 0,
            "files_indexed": files.get("indexed", 0), "files_skipped": files.get("skipped", 0),
            "files_attached": files.get("attached", 0),
            "embedding_model": self.manifest.embedding_model,
            "embedding_dim": self.manifest.embedding_dim,
            "dense_index": self.manifest.dense.description,
            "index_bytes": sum(self.manifest.file_bytes.values()),
            "built_at": self.manifest.built_at,
            "version": self.path.name, "path": str(self.path),
            "left_out": _summed(row.left_out_counts for row in sources),
            "skipped_by_reason": _summed({_reason_kind(row.reason): 1} for row in sources
                                         if row.status == "skipped"),
            "blog_titles": _blog_titles(sources),
            "sources": [{"source": row.source, "status": row.status, "reason": row.reason,
                         "posts": row.posts, "comments": row.comments,
                         "left_out": row.left_out_counts} for row in sources],
        }


def _blog_titles(rows: Iterable[FileRow]) -> list[str]:
    """The exports' own blog titles, the one with the most posts first."""
    posts: Counter[str] = Counter()
    for row in rows:
        if row.indexed and row.blog_title:
            posts[row.blog_title] += row.posts
    return [title for title, _ in posts.most_common()]


def _summed(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(total.most_common())


def _reason_kind(reason: str | None) -> str:
    """A skip reason without its particulars: "too large: 25 MB > 20 MB limit" is counted
    as "too large", so files skipped for the same cause add up."""
    return (reason or "unknown").split(":")[0].split(" (")[0].strip()
