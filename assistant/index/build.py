"""Building an index: ``build_index`` (from a corpus folder) and ``build_from_chunks``.

A build plans (``plan``), then writes (``write``). It writes a complete new version beside
the old one, records the size and sha256 of every file in its manifest, fsyncs it, then
replaces ``CURRENT`` (``versions``); a crash at any moment leaves the previous version
loadable. Before reusing the published version a build compares its checksums, and a
corrupt one is moved aside and rebuilt from the corpus (``integrity``). Vectors are
embedded in batches, each saved under ``.resume/`` as soon as it is done (``resume``), so
a build interrupted by Ctrl-C or SIGKILL resumes without re-embedding finished batches.
While it runs a marker says so; one left by a kill makes readers check every checksum. A
file that changes while the build runs makes it plan again, up to ``BUILD_ATTEMPTS``
times.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.hashing import sha256_file
from assistant.index.durability import fsync_tree
from assistant.index.files import FileRow
from assistant.index.integrity import build_marker
from assistant.index.manifest import Counts, Manifest
from assistant.index.parse_pool import ParsePool, chunker_config
from assistant.index.plan import (
    CorpusChangedError,
    FileChunks,
    Plan,
    plan_corpus,
    plan_sources,
    planned_chunks,
    unique,
)
from assistant.index.report import BuildReport, FileReport
from assistant.index.resume import ResumeCache
from assistant.index.versions import build_lock, new_version_name, publish, remove_superseded
from assistant.index.write import BuildContext, Outline, Previous, VersionWriter, dir_bytes
from assistant.records import Chunk
from assistant.settings import Settings

__all__ = ["BUILD_ATTEMPTS", "CorpusChangedError", "build_from_chunks", "build_from_sources",
           "build_index"]

BUILD_ATTEMPTS = 3  # plans of one build_index call when files change under it


def build_index(
    corpus_dir: str | os.PathLike = "corpus",
    index_dir: str | os.PathLike = "index",
    *,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Build or incrementally update the index of ``corpus_dir`` in ``index_dir``.

    Only chunks whose content hash is new are embedded; chunks of vanished or changed
    text are removed. ``progress(done, total)`` is called as chunks are embedded.
    """
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    embedder = embedder or Embedder.from_settings(settings)
    ctx = BuildContext(Path(corpus_dir), Path(index_dir), settings, embedder,
                       chunker_config(settings), rebuild, progress, started)
    notes: list[str] = []
    with build_lock(ctx.index_dir), build_marker(ctx.index_dir):
        for attempt in range(1, BUILD_ATTEMPTS + 1):
            try:
                return _build_locked(ctx, list(notes))
            except CorpusChangedError as exc:
                if attempt == BUILD_ATTEMPTS:
                    raise
                # Finished batches stay in .resume/: planning again costs parsing only.
                notes.append(f"{exc.source} changed during the build: planned again")
    raise AssertionError("unreachable")


def build_from_chunks(chunks: Iterable[Chunk] | Callable[[str], list[Chunk]],
                      file_rows: list[FileRow | tuple], index_dir: str | os.PathLike, *,
                      settings: Settings, embedder: Embedder,
                      progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Index ready-made chunks as though parsed from files described by ``file_rows``
    (``FileRow``s, or ``(source, sha256, size, mtime_ns, "indexed", None, posts, chunks)``):
    bulk loads and benchmarks, skipping parsing and chunking. Later ``build_index`` calls
    update it.

    ``chunks`` is every chunk, or a function giving one source's chunks (called twice per
    source, returning the same chunks), so that a loader need not hold them all.
    """
    rows = [FileRow.of(row) for row in file_rows]
    if callable(chunks):
        chunks_of = chunks
    else:
        by_source: dict[str, list[Chunk]] = {row.source: [] for row in rows}
        for chunk in chunks:
            by_source[chunk.source].append(chunk)
        chunks_of = by_source.__getitem__
    plan = Plan(file_rows=rows,
                reports=[FileReport(r.source, "added", None, r.posts, r.chunks) for r in rows])
    for row in rows:
        _, ids = unique(chunks_of(row.source))
        plan.files.append(FileChunks(row.source, ids, np.zeros(len(ids), bool),
                                     chunks=lambda s=row.source: chunks_of(s)))
    ctx = BuildContext(Path("."), Path(index_dir), settings, embedder, chunker_config(settings),
                       True, progress, time.perf_counter())
    with build_lock(ctx.index_dir), build_marker(ctx.index_dir):
        return _build_locked(ctx, [], given_plan=plan)


def build_from_sources(rows: list[FileRow], changed: dict[str, list[Chunk]],
                       index_dir: str | os.PathLike, *, settings: Settings, embedder: Embedder,
                       rebuild: bool = False) -> BuildReport:
    """Update ``index_dir`` to hold the files ``rows``: the ``changed`` sources with the
    chunks given (parsed elsewhere: a cluster's shard), the others as the published version
    stores them (``plan.plan_sources``). Chunks it stores are reused, the rest embedded."""
    ctx = BuildContext(Path("."), Path(index_dir), settings, embedder, chunker_config(settings),
                       rebuild, None, time.perf_counter())
    with build_lock(ctx.index_dir), build_marker(ctx.index_dir):
        return _build_locked(ctx, [], given_plan=lambda previous: plan_sources(
            previous.store if previous is not None else None, rows, changed))


def _build_locked(ctx: BuildContext, notes: list[str],
                  given_plan: Plan | Callable[[Previous | None], Plan] | None = None
                  ) -> BuildReport:
    opened = previous = Previous.open(ctx, notes)
    parser = ParsePool(ctx.settings, ctx.config)
    try:
        if callable(given_plan):
            if previous is not None and not previous.sound(ctx.index_dir, notes):
                raise RuntimeError(f"{ctx.index_dir} was corrupt and is set aside: "
                                   "index it again from the corpus")
            plan = given_plan(previous)
        elif given_plan is not None:
            plan = given_plan
        else:
            previous, plan = _plan(ctx, previous, parser, notes)
        outline = Outline.of(previous, plan)
        if not outline.changes_anything:
            # A build killed between publishing and its cleanup left what cleanup removes,
            # and every later run found nothing to publish: 3 versions stayed with
            # keep_versions 2 (``benchmarks.kills``, "published, before cleanup").
            remove_superseded(ctx.index_dir, previous.path.name, ctx.settings.keep_versions)
            return BuildReport(tuple(plan.reports), 0, 0, outline.final_total,
                               time.perf_counter() - ctx.started, False,
                               previous.path.name if previous else None, tuple(notes),
                               plan.changes)
        name, counts = _write_and_publish(ctx, outline, parser, notes)
    finally:
        parser.close()
        if opened is not None:
            opened.store.close()
    ResumeCache(ctx.index_dir / ".resume", ctx.embedder.model_id).clear()
    remove_superseded(ctx.index_dir, name, ctx.settings.keep_versions)
    return BuildReport(tuple(plan.reports), plan.to_embed, len(plan.removed_ids),
                       counts.chunks, time.perf_counter() - ctx.started, True, name,
                       tuple(notes), plan.changes)


def _plan(ctx: BuildContext, previous: Previous | None, parser: ParsePool, notes: list[str]
          ) -> tuple[Previous | None, Plan]:
    """The plan on top of ``previous``, whose checksums are compared meanwhile; when they
    do not match, it is set aside and the corpus planned again from nothing."""
    if previous is None:
        return None, plan_corpus(ctx.corpus_dir, None, parser)
    failure = None
    try:
        plan = plan_corpus(ctx.corpus_dir, previous.store, parser, previous.reparse_all)
    except sqlite3.DatabaseError as exc:  # a damaged page the checksums will name
        plan, failure = None, exc
    if not previous.sound(ctx.index_dir, notes):
        return None, plan_corpus(ctx.corpus_dir, None, parser)
    if failure is not None:
        raise failure
    return previous, plan


def _write_and_publish(ctx: BuildContext, outline: Outline, parser: ParsePool,
                       notes: list[str]) -> tuple[str, Counts]:
    """Write the version in a staging folder, fsync it, rename it, publish it."""
    name = new_version_name()
    staging = ctx.index_dir / "versions" / f".tmp-{name}"
    staging.mkdir(parents=True)
    resume = ResumeCache(ctx.index_dir / ".resume", ctx.embedder.model_id)
    try:
        written = VersionWriter(ctx, staging, resume, notes).write(
            outline, planned_chunks(outline.plan, parser))
        manifest = Manifest.for_build(ctx.embedder.model_id, written.dim,
                                      ctx.config.as_dict(), outline.plan.file_rows,
                                      written.counts, written.spec)
        sizes = dir_bytes(staging)
        checksums = {name: written.checksums.get(name) or sha256_file(staging / name)
                     for name in sizes}
        replace(manifest, file_bytes=sizes, checksums=checksums).write(staging)
        fsync_tree(staging)
        os.replace(staging, ctx.index_dir / "versions" / name)
        publish(ctx.index_dir, name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return name, written.counts
