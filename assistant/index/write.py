"""Writing one version: the chunk store, the dense index and the lexical index, streamed.

The planned files' chunks arrive one file at a time; the ones the previous version stores
are copied over with their vectors, the others are embedded in batches of ``EMBED_BATCH``
chunks, each added to the index and saved in the resume cache as soon as it is done. Each
finished file is hashed on the I/O thread while the build goes on (``Written.checksums``,
for the manifest); a dense file hard-linked from the previous version keeps its digest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.hashing import sha256_file
from assistant.index.dense import DenseIndex, DenseSpec, choose_spec
from assistant.index.durability import Background, copy_file
from assistant.index.integrity import (
    current_folder,
    set_aside,
    verify_in_background,
    verify_version,
)
from assistant.index.lexical import LexicalIndex
from assistant.index.manifest import Counts, Manifest
from assistant.index.plan import CorpusChangedError, FileChunks, Plan, unique
from assistant.index.resume import ResumeCache
from assistant.index.store import CHUNKS_FILE, ChunkStore, ChunkWriter
from assistant.ingest.chunking import ChunkerConfig
from assistant.records import Chunk, faiss_id
from assistant.settings import Settings

__all__ = ["EMBED_BATCH", "BuildContext", "Outline", "Previous", "VersionWriter", "Written",
           "dir_bytes"]

# Chunks embedded, stored and checkpointed together: a kill loses at most one batch. At
# 1,024 the shipped corpus (214 chunks) was one batch and a kill at 89% lost all of it; at
# 64 it loses 22. Embedding cost the same per chunk at 64 as at 1,024 (int8 model: 34.8 and
# 36.0 CPU-s per 1,000 chunks; it runs one text at a time, so no padding); saving and
# reading back the batches adds 0.4 s and 1 s per 100,000 chunks.
EMBED_BATCH = 64
MIGRATE_BLOCK = 20_000  # vectors copied at a time into a dense index of another kind


@dataclass(frozen=True)
class BuildContext:
    """What one build was asked to do, and with what."""

    corpus_dir: Path
    index_dir: Path
    settings: Settings
    embedder: Embedder
    config: ChunkerConfig
    rebuild: bool = False
    progress: Callable[[int, int], None] | None = None
    started: float = 0.0  # time.perf_counter() when the build began


@dataclass(frozen=True)
class Previous:
    """The published version a build starts from (its store open for reading)."""

    path: Path
    manifest: Manifest
    store: ChunkStore
    reparse_all: bool  # chunked with other settings: every file is parsed again
    checking: Future   # of every checksum: what is reused is carried forward (``sound``)

    @classmethod
    def open(cls, ctx: BuildContext, notes: list[str]) -> Previous | None:
        """None for a rebuild, a first build, or a version whose vectors cannot be reused:
        another format or embedding model, or corrupt (moved to ``corrupt/``); ``notes``
        says which. Sizes are checked now, checksums while the build plans."""
        path = None if ctx.rebuild else current_folder(ctx.index_dir)
        if path is None:
            return None
        checked = verify_version(path, checksums=False)
        if not checked.ok:
            notes.append(set_aside(ctx.index_dir, checked))
            return None
        manifest = checked.manifest
        rules = {m.rule for m in manifest.check(where=path, model=ctx.embedder.model_id,
                                                chunker=ctx.config.as_dict())}
        if rules & {"format", "model"}:
            notes.append(f"embedding model or format changed ({manifest.embedding_model}"
                         f" -> {ctx.embedder.model_id}): re-embedding everything")
            return None
        return cls(path, manifest, ChunkStore.read(path / CHUNKS_FILE), "chunker" in rules,
                   verify_in_background(path))

    def sound(self, index_dir: Path, notes: list[str]) -> bool:
        """Whether every checksum matched (waiting for them); if not, the version is closed
        and set aside, and ``notes`` says so."""
        checked = self.checking.result()
        if not checked.ok:
            self.store.close()
            notes.append(set_aside(index_dir, checked))
        return checked.ok


@dataclass(frozen=True)
class Outline:
    """A planned version before it is written: what it starts from, and its size."""

    previous: Previous | None
    plan: Plan
    final_total: int  # chunks once written
    # Touched sources and their (posts, comments) before: the counts are then updated
    # from the previous version's, not counted across the whole store again.
    touched: frozenset[str] = field(default_factory=frozenset)
    before: tuple[int, int] | None = None

    @classmethod
    def of(cls, previous: Previous | None, plan: Plan) -> Outline:
        stored = previous.store.count() if previous is not None else 0
        total = stored - len(plan.removed_ids) + plan.to_embed
        if previous is None or previous.manifest.counts is None:
            return cls(previous, plan, total)
        touched = frozenset(plan.gone_sources | {f.source for f in plan.files})
        return cls(previous, plan, total, touched, previous.store.post_counts(set(touched)))

    @property
    def changes_anything(self) -> bool:
        """Whether writing would differ from the published version at all."""
        plan = self.plan
        if self.previous is None or plan.to_embed or len(plan.removed_ids) or any(
                r.status not in ("unchanged", "skipped", "attached") for r in plan.reports):
            return True
        return {r.source: r for r in plan.file_rows} != plan.previous_rows


@dataclass(frozen=True)
class Written:
    """A version written to staging: its counts, the dense spec it ended with, the
    vectors' dimension, and the sha256 of the files hashed as they were finished."""

    counts: Counts
    spec: DenseSpec
    dim: int
    checksums: dict[str, str]


class VersionWriter:
    """Streams the planned files into a version in ``staging`` (``write``)."""

    def __init__(self, ctx: BuildContext, staging: Path, resume: ResumeCache,
                 notes: list[str]):
        self.ctx, self.staging, self.resume, self.notes = ctx, staging, resume, notes
        self.background = Background()
        self.store: ChunkWriter | None = None
        self.dense: DenseIndex | None = None
        self.spec = DenseSpec()
        self.dim = 0
        self.done = self.total = 0  # chunks embedded, and to embed
        self.reused: list[np.ndarray] = []
        self.embedded: list[np.ndarray] = []
        self.digests: dict[str, Future | str] = {}  # by path in the version

    def write(self, outline: Outline, files: Iterable[tuple[FileChunks, list[Chunk]]]
              ) -> Written:
        try:
            self._start(outline)
            self.total = outline.plan.to_embed
            self._stream(files)
            self._save_dense(outline.previous)
            self.store.replace_files(outline.plan.file_rows)
            self.store.commit()
            # rollback journal: committed pages are in the file itself
            self._finished(self.staging / CHUNKS_FILE)
            self._save_lexical(outline)
            counts = self._counts(outline)
            self.background.wait()
        finally:
            if self.store is not None:
                self.store.close()
            self.background.close()
        return Written(counts, self.spec, self.dim, {
            name: d if isinstance(d, str) else d.result() for name, d in self.digests.items()})

    def _finished(self, *paths: Path) -> None:
        """Fsync and hash files the build will not write again, on the I/O thread: hashing
        the 309 MB of a 100,000-chunk version takes 0.22 s, mostly while BM25 is built."""
        self.background.fsync(*paths)
        for path in paths:
            self.digests[path.relative_to(self.staging).as_posix()] = \
                self.background.run(sha256_file, path)

    def _start(self, outline: Outline) -> None:
        """Copy the previous store, drop the removed rows, load and trim the dense index."""
        previous, removed_ids = outline.previous, outline.plan.removed_ids
        loading: Future | None = None
        if previous is not None:
            # Reading the previous dense index (FAISS drops the GIL) overlaps the copy.
            loading = self.background.run(DenseIndex.load, previous.path, previous.manifest.dense)
            copy_file(previous.path / CHUNKS_FILE, self.staging / CHUNKS_FILE)
        self.store = ChunkWriter.create(self.staging / CHUNKS_FILE)
        if len(removed_ids):
            self.store.delete(removed_ids)
        self.spec = choose_spec(self.ctx.settings, outline.final_total)
        if loading is None:
            return
        self.dim = previous.manifest.embedding_dim
        old_spec = previous.manifest.dense
        self.dense = loading.result()
        self.dense.remove(removed_ids)
        if (old_spec.kind, old_spec.storage) != (self.spec.kind, self.spec.storage) \
                or self.dense.needs_rebuild:
            self.notes.append(f"dense index rebuilt as {self.spec.description} "
                              f"({outline.final_total} chunks)")
            self.dense = self._migrate(self.dense)
        else:
            self.spec = self.dense.spec

    def _migrate(self, old: DenseIndex) -> DenseIndex:
        """A new dense index of ``self.spec`` holding every vector of ``old`` still stored."""
        new = DenseIndex.create(self.spec, old.dim)
        ids = self.store.all_ids()
        for start in range(0, len(ids), MIGRATE_BLOCK):
            part = ids[start:start + MIGRATE_BLOCK]
            new.add(old.reconstruct_batch(part), part)
        new.finish()
        return new

    def _stream(self, files: Iterable[tuple[FileChunks, list[Chunk]]]) -> None:
        pending: list[Chunk] = []
        for file, chunks in files:
            chunks, ids = unique(chunks)
            if not np.array_equal(ids, file.ids):
                raise CorpusChangedError(file.source)
            if file.stored.any():
                self.store.insert(c for c, old in zip(chunks, file.stored, strict=True) if old)
                self.reused.append(ids[file.stored])
            pending += [c for c, old in zip(chunks, file.stored, strict=True) if not old]
            while len(pending) >= EMBED_BATCH:
                self._embed(pending[:EMBED_BATCH])
                del pending[:EMBED_BATCH]
        if pending:
            self._embed(pending)

    def _report(self, count: int) -> None:
        if count and self.ctx.progress:
            self.ctx.progress(min(self.done + count, self.total), self.total)
        self.done += count

    def _embed(self, batch: list[Chunk]) -> None:
        texts = [c.embed_text for c in batch]
        keys = self.resume.keys(texts)
        found, vectors = self.resume.lookup(keys)  # embedded by a build that was stopped
        start = self.done
        if not found.all():
            missing = np.flatnonzero(~found)
            fresh = self.ctx.embedder.embed_documents([texts[i] for i in missing],
                                                      progress=self._report)
            self.resume.put(keys[missing], fresh)
            if vectors is None:
                vectors = fresh
            else:
                merged = np.empty((len(batch), fresh.shape[1]), fresh.dtype)
                merged[found], merged[missing] = vectors, fresh
                vectors = merged
        self._report(max(0, start + len(batch) - self.done))  # cached, or a quiet embedder
        self.done = start + len(batch)
        if self.dense is None:
            self.dim = int(vectors.shape[1])
            self.dense = DenseIndex.create(self.spec, self.dim)
        ids = np.fromiter((faiss_id(c.chunk_id) for c in batch), np.int64, len(batch))
        self.dense.add(vectors, ids)
        self.store.insert(batch)
        self.embedded.append(ids)

    def _save_dense(self, previous: Previous | None) -> None:
        if self.dense is None:  # nothing to embed and no previous index
            self.dim = self.dim or self.ctx.embedder.dimension
            self.dense = DenseIndex.create(self.spec, self.dim)
        self.dense.save(self.staging)
        self.spec = self.dense.spec
        files = sorted(self.staging.glob("dense*"))
        for path in files:  # a hard link to the previous version's file: its digest holds
            if previous is not None and path.name in previous.manifest.checksums and \
                    (previous.path / path.name).exists() and \
                    os.path.samefile(path, previous.path / path.name):
                self.digests[path.name] = previous.manifest.checksums[path.name]
        self._finished(*(p for p in files if p.name not in self.digests))

    def _save_lexical(self, outline: Outline) -> None:
        previous = outline.previous
        lexical = LexicalIndex.load(previous.path / "lexical") if previous is not None \
            else LexicalIndex.empty()
        reused = np.concatenate([np.zeros(0, np.int64), *self.reused])
        embedded = np.concatenate([np.zeros(0, np.int64), *self.embedded])
        lexical = lexical.updated(np.concatenate([outline.plan.removed_ids, reused]),
                                  self.store.lexical_rows(np.concatenate([reused, embedded])))
        lexical.save(self.staging / "lexical")
        self._finished(*sorted((self.staging / "lexical").iterdir()))

    def _counts(self, outline: Outline) -> Counts:
        if outline.before is None:  # count everything
            posts, comments = self.store.post_counts(None)
        else:  # previous counts, less the touched sources' before, plus their after
            counted = outline.previous.manifest.counts
            posts_after, comments_after = self.store.post_counts(set(outline.touched))
            posts = counted.posts - outline.before[0] + posts_after
            comments = counted.comments - outline.before[1] + comments_after
        return Counts(self.store.count(), posts, comments)


def dir_bytes(root: Path) -> dict[str, int]:
    """The size of every file under ``root``, by its relative POSIX path."""
    return {p.relative_to(root).as_posix(): p.stat().st_size
            for p in sorted(root.rglob("*")) if p.is_file()}

