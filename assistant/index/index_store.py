"""A published index version opened for reading: manifest, chunk store, dense and BM25."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from assistant.index.dense import DenseIndex, DenseSpec
from assistant.index.lexical import LexicalIndex
from assistant.index.manifest import IndexMismatchError, Manifest
from assistant.index.store import CHUNKS_FILE, ChunkStore, connect_readonly
from assistant.index.versions import IndexNotFoundError, read_current

__all__ = ["IndexStore"]


class IndexStore(ChunkStore):
    """A published, read-only index version: manifest, chunk store, dense and BM25 indexes.

    The chunk store's queries (``chunks_by_ids``, ``ids_by_author``, ``authors``,
    ``sign_offs``, ``titles``, ``count``) are ``ChunkStore``'s; the dense and lexical
    indexes load on first use.
    """

    def __init__(self, version_dir: Path):
        self.path = version_dir
        self.manifest = Manifest.read(version_dir)
        for mismatch in self.manifest.check(where=version_dir):
            raise IndexMismatchError(mismatch.message)
        super().__init__(connect_readonly(version_dir / CHUNKS_FILE))
        self._dense: DenseIndex | None = None
        self._lexical: LexicalIndex | None = None
        self._load_lock = threading.Lock()  # concurrent first searches load each part once

    @classmethod
    def open(cls, index_dir: str | os.PathLike) -> IndexStore:
        index_dir = Path(index_dir)
        version = read_current(index_dir)
        if version is None:
            raise IndexNotFoundError(
                f"no index in {index_dir}: build one with `python -m assistant index`")
        return cls(version)

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
                self._lexical = LexicalIndex.load(self.path / "lexical")
        return self._lexical

    def stats(self) -> dict[str, object]:
        """Counts and sizes recorded at build time (no scan of the chunk store or folder)."""
        counts = self.manifest.counts
        files = self.file_status_counts()
        return {
            "posts": counts.posts if counts else 0,
            "comments": counts.comments if counts else 0,
            "chunks": counts.chunks if counts else 0,
            "files_indexed": files.get("indexed", 0), "files_skipped": files.get("skipped", 0),
            "embedding_model": self.manifest.embedding_model,
            "embedding_dim": self.manifest.embedding_dim,
            "dense_index": self.manifest.dense.description,
            "index_bytes": sum(self.manifest.file_bytes.values()),
            "built_at": self.manifest.built_at,
            "version": self.path.name, "path": str(self.path),
        }
