"""Shards: an index split N ways by post, each shard an ordinary index folder, and the
cluster manifest that names the version of each one that is served together.

Layout of a cluster index folder::

    cluster.json            the cluster manifest (swapped atomically, after every shard
                            it names is published)
    shards/shard-000/       an ordinary index folder (``versions``): CURRENT, versions/, …
    shards/shard-001/

A post and all its comments live in one shard, chosen by a stable hash of the post id
(``shard_of``), so chunk ids, reuse of stored vectors and the incremental build work per
shard: a change to one post rewrites one shard. Planning here is pure Python; the cluster
(``assistant.cluster.ingest``) parses, embeds and writes the shards with it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from assistant.index.companions import find_companions
from assistant.index.durability import fsync_path
from assistant.index.files import CorpusFile, FileRow, walk_corpus
from assistant.index.parse_pool import Parsed
from assistant.index.plan import (
    Plan,
    ToParse,
    is_comment_export,
    report_gone,
    skipped,
    unchanged_or_to_parse,
    unique,
)
from assistant.index.report import FileReport
from assistant.index.store import ChunkStore
from assistant.records import Chunk, faiss_id

__all__ = ["CLUSTER_FILE", "ClusterManifest", "CorpusScan", "ShardWork", "is_cluster_index",
           "scan_corpus", "settle", "shard_folder", "shard_name", "shard_of", "shard_work"]

CLUSTER_FILE = "cluster.json"
CLUSTER_FORMAT = 1


def shard_of(post_id: str, shards: int) -> int:
    """The shard of a post: the first 8 bytes of its id's sha256, modulo ``shards`` (stable
    across processes and machines, unlike Python's ``hash``)."""
    digest = hashlib.sha256(post_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def shard_name(shard: int) -> str:
    return f"shard-{shard:03d}"


def shard_folder(index_dir: Path, shard: int) -> Path:
    return Path(index_dir) / "shards" / shard_name(shard)


def is_cluster_index(index_dir: Path) -> bool:
    return (Path(index_dir) / CLUSTER_FILE).is_file()


@dataclass(frozen=True)
class ClusterManifest:
    """Which version of each shard is served, and what the corpus held when it was built
    (every file's row, whole-file counts, for stats and the next incremental build)."""

    shards: int
    versions: tuple[str | None, ...]  # per shard; None: it holds nothing yet
    embedding_model: str
    chunker: dict[str, object]
    files: tuple[FileRow, ...] = ()
    built_at: str = ""
    format: int = CLUSTER_FORMAT

    def write(self, index_dir: Path) -> None:
        """Replace ``cluster.json`` in one durable rename: readers see the old set of shard
        versions or the new one, never a mix."""
        index_dir = Path(index_dir)
        data = {"format": self.format, "shards": self.shards, "versions": list(self.versions),
                "embedding_model": self.embedding_model, "chunker": self.chunker,
                "built_at": self.built_at or datetime.now(timezone.utc).isoformat(),
                "files": [list(row.astuple()) for row in self.files]}
        tmp = index_dir / f"{CLUSTER_FILE}.tmp"
        with tmp.open("w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, index_dir / CLUSTER_FILE)
        fsync_path(index_dir)

    @classmethod
    def read(cls, index_dir: Path) -> ClusterManifest | None:
        path = Path(index_dir) / CLUSTER_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            if data.get("format") != CLUSTER_FORMAT:
                raise ValueError(f"format {data.get('format')!r}, this version reads "
                                 f"{CLUSTER_FORMAT}")
            return cls(int(data["shards"]), tuple(data["versions"]), data["embedding_model"],
                       dict(data["chunker"]), tuple(FileRow(*row) for row in data["files"]),
                       data.get("built_at", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a readable cluster manifest ({exc}): build the "
                             "cluster index again with --rebuild") from exc

    def version_dir(self, index_dir: Path, shard: int) -> Path | None:
        name = self.versions[shard]
        return None if name is None else shard_folder(index_dir, shard) / "versions" / name


@dataclass
class CorpusScan:
    """The corpus against the last cluster build: rows of the unchanged files (``plan``),
    the files to parse, and those gone."""

    plan: Plan
    to_parse: list[ToParse]
    gone: set[str] = field(default_factory=set)


def scan_corpus(corpus_dir: Path, known: dict[str, FileRow], reparse_all: bool) -> CorpusScan:
    """Which files of ``corpus_dir`` changed since the rows ``known`` (hashing only files
    whose size or mtime moved). Comment exports (Disqus) are parsed again whenever anything
    else is, since a post they join may have come, changed or gone."""
    files = walk_corpus(Path(corpus_dir))
    plan = Plan(previous_rows=known)
    to_parse = unchanged_or_to_parse(plan, files, known, reparse_all, find_companions(files))
    gone = report_gone(plan, {f.source for f in files})
    if to_parse or gone:
        to_parse += _comment_exports_again(plan, files, known)
    return CorpusScan(plan, to_parse, gone)


def _comment_exports_again(plan: Plan, files: list[CorpusFile], known: dict[str, FileRow]
                           ) -> list[ToParse]:
    by_source = {f.source: f for f in files}
    again = []
    for slot, report in enumerate(plan.reports):
        if report is None or report.source not in plan.keep_sources:
            continue
        file = by_source[report.source]
        if is_comment_export(file.path):
            plan.keep_sources.discard(file.source)
            again.append(ToParse(slot, file, known[file.source].sha256, known[file.source]))
    return again


def settle(scan: CorpusScan, parsed: Sequence[tuple[ToParse, Parsed]]) -> dict[str, list[Chunk]]:
    """Put the parsed files' rows and reports into ``scan.plan``; the chunks of each file
    that parsed (a file that no longer parses keeps what was indexed of it)."""
    plan, changed = scan.plan, {}
    for item, result in parsed:
        source = item.file.source
        if result.chunks is None:
            skipped(plan, item, result.reason or "unreadable")
            continue
        chunks, ids = unique(result.chunks)
        changed[source] = chunks
        status = "updated" if item.old is not None and item.old.indexed else "added"
        plan.file_rows[item.slot] = item.row("indexed", None, result, len(ids))
        plan.reports[item.slot] = FileReport(source, status, None, result.posts, len(ids),
                                             result.comments, result.left_out)
    return changed


@dataclass
class ShardWork:
    """What one shard's next version holds: its files' rows, the sources whose chunks are
    new (with this shard's share of them), and the chunks it must have embedded."""

    shard: int
    rows: list[FileRow]
    changed: dict[str, list[Chunk]]
    to_embed: list[Chunk]
    writes: bool  # anything differs from the version it has


def _shard_row(cluster_row: FileRow, chunks: list[Chunk]) -> FileRow:
    posts = {c.post_id for c in chunks if c.kind == "post"}
    comments = {(c.post_id, c.comment_number) for c in chunks if c.kind == "comment"}
    return FileRow(cluster_row.source, cluster_row.sha256, cluster_row.size,
                   cluster_row.mtime_ns, "indexed", None, len(posts), len(chunks),
                   len(comments), "", cluster_row.blog_title)


def shard_work(shard: int, shards: int, plan: Plan, changed: dict[str, list[Chunk]],
               previous: ChunkStore | None) -> ShardWork:
    """Shard ``shard``'s next version, on top of ``previous`` (its published store, or None
    to build it from nothing: every indexed source must then be in ``changed``)."""
    before = previous.file_rows() if previous is not None else {}
    mine = {s: [c for c in chunks if shard_of(c.post_id, shards) == shard]
            for s, chunks in changed.items()}
    stored_ids = previous.ids_by_source(
        [s for s in mine if s in before]) if previous is not None else {}
    rows: list[FileRow] = []
    new: dict[str, list[Chunk]] = {}
    for row in plan.file_rows:
        if not row.indexed:
            continue
        if row.source in mine:
            chunks = mine[row.source]
            if not chunks:
                continue
            old = stored_ids.get(row.source)
            ids = {faiss_id(c.chunk_id) for c in chunks}
            if old is None or set(old.tolist()) != ids:
                new[row.source] = chunks
            rows.append(_shard_row(row, chunks))
        elif row.source in before:  # unchanged: this shard keeps its share as it is
            rows.append(before[row.source].restat(row.size, row.mtime_ns))
    listed = {row.source for row in rows}
    gone = [s for s, row in before.items() if row.indexed and s not in listed]
    stored = set(previous.all_ids().tolist()) if previous is not None and new else set()
    to_embed = [c for chunks in new.values() for c in chunks
                if faiss_id(c.chunk_id) not in stored]
    return ShardWork(shard, rows, new, to_embed, bool(new or gone))
