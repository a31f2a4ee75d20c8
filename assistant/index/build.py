"""The on-disk index: FAISS vectors, a sqlite chunk store, BM25 and a manifest.

Layout of an index folder::

    CURRENT                 name of the published version (swapped atomically)
    versions/<name>/        manifest.json, chunks.sqlite, dense.faiss (hard-linked from
                            the previous version after a small edit, with dense_delta.npz),
                            lexical/
    .resume/                embedded batches of an unfinished build (deleted on publish)
    .lock                   held while a build runs

A build plans, then writes. Planning hashes every file and parses the new or changed ones
(in worker processes when there are many) for their chunk ids, keeping the first
``PLAN_KEEP_CHUNKS`` chunks; writing parses the other files again and streams their chunks
through embedding, so a build holds a bounded number of chunk texts, not the archive's (a
file that changed in between makes the build plan again). A build writes a complete new
version beside the old one, fsyncs it, then replaces ``CURRENT``; a crash at any moment
leaves the previous version loadable. Vectors are embedded in batches of ``EMBED_BATCH``
chunks, each added to the index and saved under ``.resume/`` (keyed by a hash of the model
and the batch's texts) as soon as it is done, so a build interrupted by Ctrl-C or SIGKILL
resumes without re-embedding finished batches.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.hashing import sha256_file
from assistant.index.dense import DenseIndex, DenseSpec, choose_spec
from assistant.index.lexical import LexicalIndex, LexicalRow
from assistant.ingest.chunking import ChunkerConfig, chunk_post
from assistant.ingest.corpus import SkippedFile, parse_file
from assistant.records import Chunk, faiss_id
from assistant.settings import Settings

__all__ = [
    "FORMAT_VERSION",
    "BuildReport",
    "CorpusChangedError",
    "FileReport",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStore",
    "build_from_chunks",
    "build_index",
    "corpus_embed_texts",
    "ensure_index",
    "index_status",
    "iter_corpus_files",
]

FORMAT_VERSION = 2  # 2: lexical/ postings replace bm25s files; dense kinds (flat/ivf/hnsw)
BM25_STEMMER = "english"
EMBED_BATCH = 1024  # chunks embedded, stored and checkpointed together
BUILD_ATTEMPTS = 3  # plans of one build_index call when files change under it
PARALLEL_PARSE_MIN_FILES = 16  # fewer files to parse: worker processes would cost more
# Chunks a plan keeps for writing (tens of MB); the files past them are parsed again.
PLAN_KEEP_CHUNKS = 20_000


class IndexNotFoundError(FileNotFoundError):
    """No published index in the folder."""


class IndexMismatchError(RuntimeError):
    """The index was built with another embedding model, dimension or format."""


@dataclass(frozen=True)
class FileReport:
    source: str
    status: str  # added | updated | unchanged | removed | skipped
    reason: str | None = None
    posts: int = 0
    chunks: int = 0


@dataclass(frozen=True)
class BuildReport:
    """What one ``build_index`` call did, file by file."""

    files: tuple[FileReport, ...]
    chunks_added: int
    chunks_removed: int
    chunks_total: int
    seconds: float
    published: bool
    version: str | None
    notes: tuple[str, ...] = ()

    def _with(self, status: str) -> list[FileReport]:
        return [f for f in self.files if f.status == status]

    @property
    def added(self) -> list[FileReport]:
        return self._with("added")

    @property
    def updated(self) -> list[FileReport]:
        return self._with("updated")

    @property
    def removed(self) -> list[FileReport]:
        return self._with("removed")

    @property
    def unchanged(self) -> list[FileReport]:
        return self._with("unchanged")

    @property
    def skipped(self) -> list[FileReport]:
        return self._with("skipped")

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.removed)} removed, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped files; chunks +{self.chunks_added} "
                f"-{self.chunks_removed} = {self.chunks_total} in {self.seconds:.1f}s")

    def as_dict(self) -> dict[str, object]:
        return {
            "files": [f.__dict__ for f in self.files],
            "chunks_added": self.chunks_added, "chunks_removed": self.chunks_removed,
            "chunks_total": self.chunks_total, "seconds": round(self.seconds, 3),
            "published": self.published, "version": self.version, "notes": list(self.notes),
        }


# ---------------------------------------------------------------- corpus files

def iter_corpus_files(corpus_dir: Path) -> Iterator[tuple[str, Path]]:
    """(corpus-relative POSIX path, absolute path) for every visible regular file, sorted."""
    for source, path, _ in _walk_corpus(Path(corpus_dir)):
        yield source, Path(path)


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


def _walk_corpus(corpus_dir: Path) -> list[tuple[str, str, os.stat_result]]:
    """(source, path, stat) of every visible regular file, sorted by path components.

    ``os.scandir`` on strings: walking 10,000 files with ``pathlib`` cost a second a build.
    """
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    found: list[tuple[tuple[str, ...], str, os.stat_result]] = []
    pending: list[tuple[tuple[str, ...], str]] = [((), str(corpus_dir))]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    pending.append(((*prefix, entry.name), entry.path))
                elif entry.is_file():
                    found.append(((*prefix, entry.name), entry.path, entry.stat()))
    found.sort(key=lambda item: item[0])
    return [("/".join(parts), path, stat) for parts, path, stat in found]


# ---------------------------------------------------------------- the store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,          -- FAISS id
    chunk_id TEXT NOT NULL UNIQUE,   -- content hash
    post_id TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    kind TEXT NOT NULL,
    author TEXT,
    comment_number TEXT,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    url TEXT,
    context TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_date ON chunks(date);
CREATE INDEX IF NOT EXISTS chunks_kind ON chunks(kind);
CREATE INDEX IF NOT EXISTS chunks_author ON chunks(author COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY,
    sha256 TEXT,
    size INTEGER,
    mtime_ns INTEGER,
    status TEXT NOT NULL,            -- indexed | skipped
    reason TEXT,
    posts INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0
);
"""

CHUNK_COLUMNS = ("id", "chunk_id", "post_id", "source", "title", "date", "kind", "author",
                 "comment_number", "position", "text", "url", "context")


def chunk_from_row(row: sqlite3.Row | tuple) -> Chunk:
    values = dict(zip(CHUNK_COLUMNS, row, strict=False))
    return Chunk(
        chunk_id=values["chunk_id"], post_id=values["post_id"], source=values["source"],
        title=values["title"],
        date=date.fromisoformat(values["date"]) if values["date"] else None,
        kind=values["kind"], author=values["author"], comment_number=values["comment_number"],
        position=values["position"], text=values["text"], url=values["url"],
        context=values["context"],
    )


def _chunk_row(chunk: Chunk) -> tuple:
    return (faiss_id(chunk.chunk_id), chunk.chunk_id, chunk.post_id, chunk.source, chunk.title,
            chunk.date.isoformat() if chunk.date else None, chunk.kind, chunk.author,
            chunk.comment_number, chunk.position, chunk.text, chunk.url, chunk.context)


def _read_current(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    version = index_dir / "versions" / name
    return version if (version / "manifest.json").is_file() else None


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.executescript(_SCHEMA)
    return conn


class IndexStore:
    """A published, read-only index version: manifest, chunk store, dense and BM25 indexes."""

    def __init__(self, version_dir: Path):
        self.path = version_dir
        self.manifest: dict = json.loads((version_dir / "manifest.json").read_text())
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index at {version_dir} has format {self.manifest.get('format_version')}, "
                f"this version reads format {FORMAT_VERSION}: rebuild it with "
                "`python -m assistant index --rebuild`")
        self.db = _connect(version_dir / "chunks.sqlite", readonly=True)
        self._dense: DenseIndex | None = None
        self._lexical: LexicalIndex | None = None
        self._load_lock = threading.Lock()  # concurrent first searches load each part once

    @classmethod
    def open(cls, index_dir: str | os.PathLike) -> IndexStore:
        index_dir = Path(index_dir)
        version = _read_current(index_dir)
        if version is None:
            raise IndexNotFoundError(
                f"no index in {index_dir}: build one with `python -m assistant index`")
        return cls(version)

    @property
    def dense_spec(self) -> DenseSpec:
        return DenseSpec.from_dict(self.manifest.get("dense"))

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

    def chunks_by_ids(self, ids: list[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        placeholders = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT {', '.join(CHUNK_COLUMNS)} FROM chunks WHERE id IN ({placeholders})",
            [int(i) for i in ids]).fetchall()
        return {row[0]: chunk_from_row(row) for row in rows}

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM chunks WHERE kind = ?", (kind,)).fetchone()[0]

    def stats(self) -> dict[str, object]:
        """Counts and sizes recorded at build time (no scan of the chunk store or folder)."""
        counts = self.manifest.get("counts", {})
        files = dict(self.db.execute(
            "SELECT status, COUNT(*) FROM files GROUP BY status").fetchall())
        return {
            "posts": counts.get("posts", 0), "comments": counts.get("comments", 0),
            "chunks": counts.get("chunks", 0),
            "files_indexed": files.get("indexed", 0), "files_skipped": files.get("skipped", 0),
            "embedding_model": self.manifest["embedding"]["model"],
            "embedding_dim": self.manifest["embedding"]["dimension"],
            "dense_index": self.manifest.get("dense", {}).get("type", ""),
            "index_bytes": sum(self.manifest.get("bytes", {}).values()),
            "built_at": self.manifest["built_at"],
            "version": self.path.name, "path": str(self.path),
        }

    def close(self) -> None:
        self.db.close()


# ---------------------------------------------------------------- building

@dataclass(frozen=True)
class _FileChunks:
    """A new or changed file as planned: its chunk ids in order (duplicates dropped) and
    which of them the previous version already stores. Past the first ``PLAN_KEEP_CHUNKS``
    chunks of a plan, a file's chunks are parsed again when they are written, so a build
    holds a bounded number of chunk texts, not the archive's."""

    source: str
    ids: np.ndarray      # int64 FAISS ids
    stored: np.ndarray   # bool per id: in the previous version (reused, not embedded)
    path: str | None = None  # parsed again from here, unless
    chunks: Callable[[], list[Chunk]] | None = None  # kept from planning, or given

    @property
    def to_embed(self) -> int:
        return int(len(self.ids) - self.stored.sum())


@dataclass
class _Plan:
    reports: list[FileReport] = field(default_factory=list)
    keep_sources: set[str] = field(default_factory=set)   # unchanged: reuse stored chunks
    files: list[_FileChunks] = field(default_factory=list)  # added/updated files
    file_rows: list[tuple] = field(default_factory=list)
    gone_sources: set[str] = field(default_factory=set)   # indexed before, not kept now
    removed_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def to_embed(self) -> int:
        return sum(f.to_embed for f in self.files)


class CorpusChangedError(RuntimeError):
    """A file changed between planning a build and writing it. The version being written
    is dropped (the published one is untouched, finished batches are kept) and
    ``build_index`` plans again, up to ``BUILD_ATTEMPTS`` times."""

    def __init__(self, source: str, detail: str = ""):
        super().__init__(f"{source} changed while it was being indexed{detail}: "
                         "run the build again")
        self.source = source


def _unique(chunks: list[Chunk]) -> tuple[list[Chunk], np.ndarray]:
    """``chunks`` without repeated ids (a post repeated within a file), and their ids."""
    ids: dict[int, Chunk] = {}
    for chunk in chunks:
        ids.setdefault(faiss_id(chunk.chunk_id), chunk)
    return list(ids.values()), np.fromiter(ids, np.int64, len(ids))


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        _fsync_path(path)
    _fsync_path(root)


class _Background:
    """One worker thread for a version's I/O: loading the previous dense index while the
    store is copied, and fsyncing each finished file while the build goes on, so the
    closing ``_fsync_tree`` finds them already on disk (a re-index at 100,000 chunks writes
    ~300 MB; flushing it serially at the end cost half a second)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="index-io")
        self._pending: list[Future] = []

    def run(self, fn: Callable, *args: object) -> Future:
        future = self._pool.submit(fn, *args)
        self._pending.append(future)
        return future

    def fsync(self, *paths: Path) -> None:
        for path in paths:
            self.run(_fsync_path, path)

    def wait(self) -> None:
        """Block until everything submitted is done; raise the first error."""
        for future in self._pending:
            future.result()

    def close(self) -> None:
        """Stop the worker (after what it is running); errors are left to ``wait``."""
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(f"another build is already running on {index_dir}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _plan(corpus_dir: Path, previous: sqlite3.Connection | None, settings: Settings,
          config: ChunkerConfig, reparse_all: bool, parser: _ParsePool) -> _Plan:
    plan = _Plan()
    known: dict[str, tuple] = {}
    if previous is not None:
        for row in previous.execute(
                "SELECT source, sha256, size, mtime_ns, status, reason, posts, chunks FROM files"):
            known[row[0]] = row
    seen: set[str] = set()
    to_parse: list[tuple] = []  # (slot in reports and file_rows, source, path, sha, stat, old)
    for source, path_str, stat in _walk_corpus(corpus_dir):
        seen.add(source)
        old = known.get(source)
        if old and old[2] == stat.st_size and old[3] == stat.st_mtime_ns:
            sha = old[1]
        else:
            sha = sha256_file(path_str)
        if old and old[1] == sha and not reparse_all:
            row = (source, sha, stat.st_size, stat.st_mtime_ns, *old[4:])
            plan.file_rows.append(row)
            if old[4] == "indexed":
                plan.keep_sources.add(source)
                plan.reports.append(FileReport(source, "unchanged", None, old[6], old[7]))
            else:
                plan.reports.append(FileReport(source, "skipped", old[5]))
            continue
        to_parse.append((len(plan.reports), source, path_str, sha, stat, old))
        plan.reports.append(None)
        plan.file_rows.append(None)
    jobs = [(path_str, source, settings.max_file_bytes, config)
            for _, source, path_str, *_ in to_parse]
    parsed = parser.map(_parse_for_plan, jobs)
    kept = 0  # chunks kept from planning for writing, up to PLAN_KEEP_CHUNKS
    for (slot, source, path_str, sha, stat, old), (posts, chunks, reason) in zip(
            to_parse, parsed, strict=True):
        if reason is not None:
            if old and old[4] == "indexed":
                # Keep what was indexed from the last good version of this file.
                plan.keep_sources.add(source)
                plan.file_rows[slot] = old
                reason += " (kept the previously indexed version)"
            else:
                plan.file_rows[slot] = (source, sha, stat.st_size, stat.st_mtime_ns,
                                        "skipped", reason, 0, 0)
            plan.reports[slot] = FileReport(source, "skipped", reason)
            continue
        chunks, ids = _unique(chunks)
        keep = kept + len(chunks) <= PLAN_KEEP_CHUNKS
        kept += len(chunks) if keep else 0
        plan.files.append(_FileChunks(source, ids, np.zeros(len(ids), bool), path=path_str,
                                      chunks=(lambda c=chunks: c) if keep else None))
        status = "updated" if old and old[4] == "indexed" else "added"
        plan.file_rows[slot] = (source, sha, stat.st_size, stat.st_mtime_ns, "indexed", None,
                                posts, len(ids))
        plan.reports[slot] = FileReport(source, status, None, posts, len(ids))
    for source, old in known.items():
        if source not in seen and old[4] == "indexed":
            plan.reports.append(FileReport(source, "removed", None, old[6], old[7]))
    plan.gone_sources = {s for s, old in known.items() if old[4] == "indexed"} \
        - plan.keep_sources
    if previous is not None:
        _match_previous(previous, plan)
    return plan


def _parse_chunks(job: tuple) -> tuple[int, list[Chunk]]:
    """(posts, chunks) of one file; ``job`` is (path, source, max_bytes, chunker config)."""
    path, source, max_bytes, config = job
    posts = parse_file(Path(path), source, max_bytes=max_bytes)
    return len(posts), [c for post in posts for c in chunk_post(post, config)]


def _parse_for_plan(job: tuple) -> tuple[int, list[Chunk] | None, str | None]:
    """Planning a file: (posts, chunks, None), or (0, None, why it is skipped)."""
    try:
        posts, chunks = _parse_chunks(job)
    except SkippedFile as exc:
        return 0, None, str(exc)
    return posts, chunks, None


def _parse_again(job: tuple) -> list[Chunk] | str:
    """Writing a file: its chunks, or why it can no longer be read."""
    try:
        return _parse_chunks(job)[1]
    except (SkippedFile, OSError) as exc:
        return str(exc)


def _exit_with_parent(parent: int) -> None:
    """In a parse worker: exit when the building process is gone (a SIGKILL gives the pool
    no chance to stop its workers, which would otherwise wait for work forever)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _ParsePool:
    """Parsing and chunking in worker processes (``Settings.parse_workers``), made on first
    use. ``map`` yields results in order, at most a few files per worker ahead of its
    consumer, so chunk texts waiting to be embedded stay bounded."""

    def __init__(self, settings: Settings):
        self.workers = settings.parse_workers or min(os.cpu_count() or 1, 8)
        self.auto = settings.parse_workers == 0
        self._pool = None

    def map(self, fn: Callable, jobs: list) -> Iterator:
        if self.workers <= 1 or len(jobs) < (PARALLEL_PARSE_MIN_FILES if self.auto else 2):
            yield from map(fn, jobs)
            return
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # fork, not spawn or forkserver: those run the caller's main script again in
            # each worker, which breaks any script that builds without a __main__ guard.
            # The workers only parse and count tokens, touching no model or its threads.
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_exit_with_parent, initargs=(os.getpid(),))
        window: collections.deque[Future] = collections.deque()
        pending = iter(jobs)
        for job in itertools.islice(pending, 4 * self.workers):
            window.append(self._pool.submit(fn, job))
        while window:
            result = window.popleft().result()
            for job in itertools.islice(pending, 1):
                window.append(self._pool.submit(fn, job))
            yield result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _match_previous(previous: sqlite3.Connection, plan: _Plan) -> None:
    """Mark the planned chunks the previous version stores, and collect the ids of its
    rows that go: every row of a gone source that the source's new chunks do not repeat.
    Chunk ids hash the source, so a chunk can only be reused from its own file."""
    planned = {f.source: i for i, f in enumerate(plan.files)}
    removed: list[np.ndarray] = []
    for part in _batches(sorted(plan.gone_sources)):
        rows: dict[str, list[int]] = {}
        for source, row_id in previous.execute(
                f"SELECT source, id FROM chunks WHERE source IN ({_marks(part)})", part):
            rows.setdefault(source, []).append(row_id)
        for source, ids in rows.items():
            old = np.asarray(ids, np.int64)
            if source in planned:
                file = plan.files[planned[source]]
                plan.files[planned[source]] = replace(file, stored=np.isin(file.ids, old))
                old = old[~np.isin(old, file.ids)]
            removed.append(old)
    if removed:
        plan.removed_ids = np.concatenate(removed)


def _manifest(embedder: Embedder, dim: int, config: ChunkerConfig, file_rows: list[tuple],
              counts: dict[str, int], spec: DenseSpec) -> dict:
    fingerprint = hashlib.sha256()
    for row in sorted(file_rows):
        fingerprint.update(f"{row[0]}\x00{row[1]}\x00{row[4]}\n".encode())
    return {
        "format_version": FORMAT_VERSION,
        "embedding": {"model": embedder.model_id, "dimension": dim},
        "chunker": config.as_dict(),
        "bm25": {"library": "assistant.lexical", "stemmer": BM25_STEMMER, "stopwords": "en",
                 "method": "lucene", "k1": 1.5, "b": 0.75},
        "dense": {"type": spec.description, "metric": "inner_product", **spec.as_dict()},
        "corpus_fingerprint": fingerprint.hexdigest(),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "counts": counts,
    }


def _lexical_text(title: str, author: str | None, text: str) -> str:
    # The post lead (``context``) stays out: shared by all of a post's chunks, it made
    # them tie on the lead's words (measured: MRR 0.788 without, 0.732 with).
    return f"{title} {author or ''} {text}"


def _config_from(settings: Settings) -> ChunkerConfig:
    return ChunkerConfig(max_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap,
                         lead_tokens=settings.chunk_lead_tokens)


def _copy_file(src: Path, dst: Path) -> None:
    """Copy with ``copy_file_range`` (a reflink or in-kernel copy where the filesystem can)."""
    with src.open("rb") as fin, dst.open("wb") as fout:
        remaining = os.fstat(fin.fileno()).st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(fin.fileno(), fout.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except OSError:
            fin.seek(0)
            fout.seek(0)
            fout.truncate()
            shutil.copyfileobj(fin, fout, 1 << 22)


def _dir_bytes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_size
            for p in sorted(root.rglob("*")) if p.is_file()}


class _ResumeCache:
    """Embedded batches of unfinished builds, keyed by model and texts (``.resume/``)."""

    def __init__(self, folder: Path, model_id: str):
        self.folder = folder
        self.model_id = model_id

    def key(self, texts: list[str]) -> str:
        digest = hashlib.sha256(self.model_id.encode())
        for text in texts:
            digest.update(b"\x00" + text.encode())
        return digest.hexdigest()[:32]

    def get(self, key: str) -> np.ndarray | None:
        path = self.folder / f"{key}.npy"
        try:
            return np.load(path) if path.is_file() else None
        except (OSError, ValueError):  # a torn write from a kill: embed again
            return None

    def put(self, key: str, vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{key}.tmp.npy"
        np.save(tmp, vectors)
        os.replace(tmp, self.folder / f"{key}.npy")

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _batches(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(items: list) -> str:
    return ",".join("?" * len(items))


def _post_counts(conn: sqlite3.Connection, sources: set[str] | None) -> tuple[int, int]:
    """(posts, comments) in ``sources`` (all when None); a post lives in one source."""
    query = ("SELECT COUNT(DISTINCT post_id), COUNT(DISTINCT CASE WHEN kind = 'comment' "
             "THEN post_id || '#' || comment_number END) FROM chunks")
    if sources is None:
        return tuple(conn.execute(query).fetchone())
    posts = comments = 0
    for part in _batches(sorted(sources)):
        p, c = conn.execute(f"{query} WHERE source IN ({_marks(part)})", part).fetchone()
        posts, comments = posts + p, comments + c
    return posts, comments


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
    config = _config_from(settings)
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    notes: list[str] = []
    with _build_lock(index_dir):
        for attempt in range(1, BUILD_ATTEMPTS + 1):
            try:
                return _build_locked(corpus_dir, index_dir, settings, embedder, config,
                                     rebuild, progress, started, notes=list(notes))
            except CorpusChangedError as exc:
                if attempt == BUILD_ATTEMPTS:
                    raise
                # Finished batches stay in .resume/: planning again costs parsing only.
                notes.append(f"{exc.source} changed during the build: planned again")
    raise AssertionError("unreachable")


def _build_locked(corpus_dir: Path, index_dir: Path, settings: Settings, embedder: Embedder,
                  config: ChunkerConfig, rebuild: bool,
                  progress: Callable[[int, int], None] | None, started: float,
                  given_plan: _Plan | None = None, notes: list[str] | None = None
                  ) -> BuildReport:
    notes = notes if notes is not None else []
    previous_dir = None if rebuild else _read_current(index_dir)
    previous_manifest = None
    if previous_dir is not None:
        previous_manifest = json.loads((previous_dir / "manifest.json").read_text())
        if (previous_manifest.get("format_version") != FORMAT_VERSION
                or previous_manifest["embedding"]["model"] != embedder.model_id):
            notes.append(
                f"embedding model or format changed ({previous_manifest['embedding']['model']}"
                f" -> {embedder.model_id}): re-embedding everything")
            previous_dir = None
    prev_conn = None
    if previous_dir is not None:
        prev_conn = _connect(previous_dir / "chunks.sqlite", readonly=True)
    parser = _ParsePool(settings)
    try:
        reparse_all = previous_manifest is not None and \
            previous_manifest.get("chunker") != config.as_dict()
        plan = given_plan or _plan(corpus_dir, prev_conn, settings, config, reparse_all,
                                   parser)
        removed_ids = plan.removed_ids
        prev_total = 0
        delta: tuple[dict, set[str], tuple[int, int]] | None = None
        if prev_conn is not None:
            prev_total = prev_conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            prev_counts = previous_manifest.get("counts", {})
            if {"posts", "comments"} <= prev_counts.keys():
                touched = plan.gone_sources | {f.source for f in plan.files}
                delta = (prev_counts, touched, _post_counts(prev_conn, touched))
        to_embed = plan.to_embed
        final_total = prev_total - len(removed_ids) + to_embed

        changed = bool(to_embed or len(removed_ids) or previous_dir is None
                       or any(r.status not in ("unchanged", "skipped") for r in plan.reports))
        old_rows = {}
        if prev_conn is not None:
            old_rows = {r[0]: r for r in prev_conn.execute(
                "SELECT source, sha256, size, mtime_ns, status, reason, posts, chunks "
                "FROM files")}
        files_changed = {r[0]: r for r in plan.file_rows} != old_rows
        if not changed and not files_changed:
            return BuildReport(tuple(plan.reports), 0, 0, final_total,
                               time.perf_counter() - started, False,
                               previous_dir.name if previous_dir else None, tuple(notes))

        name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-" \
            + hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:6]
        staging = index_dir / "versions" / f".tmp-{name}"
        staging.mkdir(parents=True)
        resume = _ResumeCache(index_dir / ".resume", embedder.model_id)
        try:
            counts, spec, dim = _write_version(
                staging, previous_dir, previous_manifest, settings, embedder, plan,
                _file_chunks(plan, settings, config, parser), final_total, resume, progress,
                notes, delta)
            manifest = _manifest(embedder, dim, config, plan.file_rows, counts, spec)
            manifest["bytes"] = _dir_bytes(staging)
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
            _fsync_tree(staging)
            os.replace(staging, index_dir / "versions" / name)
            _publish(index_dir, name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        parser.close()
        if prev_conn is not None:
            prev_conn.close()
    resume.clear()
    # Deleting the superseded version (hundreds of MB at scale) need not delay the caller;
    # whatever a killed process leaves behind, the next build removes.
    old = [p for p in (index_dir / "versions").iterdir() if p.name != name]
    threading.Thread(target=_remove_paths, args=(old,), daemon=True).start()
    return BuildReport(tuple(plan.reports), to_embed, len(removed_ids),
                       counts["chunks"], time.perf_counter() - started, True, name,
                       tuple(notes))


def build_from_chunks(chunks: Iterable[Chunk] | Callable[[str], list[Chunk]],
                      file_rows: list[tuple], index_dir: str | os.PathLike, *,
                      settings: Settings, embedder: Embedder,
                      progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Index ready-made chunks as though parsed from files described by ``file_rows``
    (``(source, sha256, size, mtime_ns, "indexed", None, posts, chunks)``): bulk loads and
    benchmarks, skipping parsing and chunking. Later ``build_index`` calls update it.

    ``chunks`` is every chunk, or a function giving one source's chunks (called twice per
    source, returning the same chunks), so that a loader need not hold them all.
    """
    if callable(chunks):
        chunks_of = chunks
    else:
        by_source: dict[str, list[Chunk]] = {row[0]: [] for row in file_rows}
        for chunk in chunks:
            by_source[chunk.source].append(chunk)
        chunks_of = by_source.__getitem__
    plan = _Plan(file_rows=list(file_rows),
                 reports=[FileReport(r[0], "added", None, r[6], r[7]) for r in file_rows])
    for row in file_rows:
        _, ids = _unique(chunks_of(row[0]))
        plan.files.append(_FileChunks(row[0], ids, np.zeros(len(ids), bool),
                                      chunks=lambda s=row[0]: chunks_of(s)))
    index_dir = Path(index_dir)
    with _build_lock(index_dir):
        return _build_locked(Path("."), index_dir, settings, embedder, _config_from(settings),
                             True, progress, time.perf_counter(), given_plan=plan)


_INSERT = (f"INSERT OR REPLACE INTO chunks ({', '.join(CHUNK_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(CHUNK_COLUMNS))})")


def _file_chunks(plan: _Plan, settings: Settings, config: ChunkerConfig, parser: _ParsePool
                 ) -> Iterator[tuple[_FileChunks, list[Chunk]]]:
    """Each planned file with its chunks, produced again (parsed in ``parser``'s workers)."""
    jobs = [(f.path, f.source, settings.max_file_bytes, config) for f in plan.files
            if f.chunks is None]
    parsed = parser.map(_parse_again, jobs)
    for file in plan.files:
        chunks = file.chunks() if file.chunks is not None else next(parsed)
        if isinstance(chunks, str):
            raise CorpusChangedError(file.source, f" ({chunks})")
        yield file, chunks


def _write_version(staging: Path, previous_dir: Path | None, previous_manifest: dict | None,
                   settings: Settings, embedder: Embedder, plan: _Plan,
                   files: Iterator[tuple[_FileChunks, list[Chunk]]], final_total: int,
                   resume: _ResumeCache, progress: Callable[[int, int], None] | None,
                   notes: list[str], delta: tuple | None = None
                   ) -> tuple[dict[str, int], DenseSpec, int]:
    """Chunk store, dense index and lexical index of the new version, streamed from
    ``files`` (each planned file with its chunks) in batches of ``EMBED_BATCH`` chunks."""
    db_path = staging / "chunks.sqlite"
    background = _Background()
    loading: Future | None = None
    conn: sqlite3.Connection | None = None
    removed_ids = plan.removed_ids
    try:
        if previous_dir is not None:
            # Reading the previous dense index (FAISS drops the GIL) overlaps the copy.
            old_spec = DenseSpec.from_dict(previous_manifest.get("dense"))
            loading = background.run(DenseIndex.load, previous_dir, old_spec)
            _copy_file(previous_dir / "chunks.sqlite", db_path)
        conn = _connect(db_path)
        conn.execute("PRAGMA synchronous = OFF")  # the whole folder is fsynced before publish
        if len(removed_ids):
            conn.executemany("DELETE FROM chunks WHERE id = ?", ((int(i),) for i in removed_ids))

        spec = choose_spec(settings, final_total)
        dense: DenseIndex | None = None
        dim = previous_manifest["embedding"]["dimension"] if previous_dir is not None else 0
        if loading is not None:
            dense = loading.result()
            dense.remove(removed_ids)
            if (old_spec.kind, old_spec.storage) != (spec.kind, spec.storage) \
                    or dense.needs_rebuild:
                notes.append(f"dense index rebuilt as {spec.description} "
                             f"({final_total} chunks)")
                dense = _migrate(dense, spec, conn)
            else:
                spec = dense.spec

        total, done = plan.to_embed, 0
        reused_ids: list[np.ndarray] = []
        embedded_ids: list[np.ndarray] = []
        pending: list[Chunk] = []

        def report(count: int) -> None:
            nonlocal done
            if count and progress:
                progress(min(done + count, total), total)
            done += count

        def embed(batch: list[Chunk]) -> None:
            nonlocal dense, dim, done
            texts = [c.embed_text for c in batch]
            key = resume.key(texts)
            vectors = resume.get(key)
            start = done
            if vectors is None:
                vectors = embedder.embed_documents(texts, progress=report)
                resume.put(key, vectors)
            report(max(0, start + len(batch) - done))  # cached, or an embedder that is quiet
            done = start + len(batch)
            if dense is None:
                dim = int(vectors.shape[1])
                dense = DenseIndex.create(spec, dim)
            ids = np.fromiter((faiss_id(c.chunk_id) for c in batch), np.int64, len(batch))
            dense.add(vectors, ids)
            conn.executemany(_INSERT, [_chunk_row(c) for c in batch])
            embedded_ids.append(ids)

        for file, chunks in files:
            chunks, ids = _unique(chunks)
            if not np.array_equal(ids, file.ids):
                raise CorpusChangedError(file.source)
            if file.stored.any():
                conn.executemany(_INSERT, [_chunk_row(c) for c, old in
                                           zip(chunks, file.stored, strict=True) if old])
                reused_ids.append(ids[file.stored])
            pending += [c for c, old in zip(chunks, file.stored, strict=True) if not old]
            while len(pending) >= EMBED_BATCH:
                embed(pending[:EMBED_BATCH])
                del pending[:EMBED_BATCH]
        if pending:
            embed(pending)
        del pending
        if dense is None:  # nothing to embed and no previous index
            dim = dim or embedder.dimension
            dense = DenseIndex.create(spec, dim)
        dense.save(staging)
        spec = dense.spec
        background.fsync(*staging.glob("dense*"))

        conn.execute("DELETE FROM files")
        conn.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", plan.file_rows)
        conn.commit()
        background.fsync(db_path)  # rollback journal: committed pages are in the file itself

        lexical = LexicalIndex.load(previous_dir / "lexical") if previous_dir is not None \
            else LexicalIndex.empty()
        reused = np.concatenate([np.zeros(0, np.int64), *reused_ids])
        embedded = np.concatenate([np.zeros(0, np.int64), *embedded_ids])
        lexical = lexical.updated(np.concatenate([removed_ids, reused]),
                                  _stored_lexical_rows(conn, np.concatenate([reused, embedded])))
        lexical.save(staging / "lexical")
        if delta is None:  # count everything
            posts, comments = _post_counts(conn, None)
        else:  # previous counts, less the touched sources' before, plus their after
            prev_counts, touched, (posts_before, comments_before) = delta
            posts_after, comments_after = _post_counts(conn, touched)
            posts = prev_counts["posts"] - posts_before + posts_after
            comments = prev_counts["comments"] - comments_before + comments_after
        counts = {"chunks": conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0],
                  "posts": posts, "comments": comments}
        background.wait()
    finally:
        if conn is not None:
            conn.close()
        background.close()
    return counts, spec, dim


def _stored_lexical_rows(conn: sqlite3.Connection, ids: np.ndarray) -> Iterator[LexicalRow]:
    """BM25 rows of ``ids``, in that order, read back from the chunk store being written."""
    for part in _batches(ids.tolist()):
        found = {row[0]: row for row in conn.execute(
            f"SELECT id, title, author, text, date, kind FROM chunks WHERE id IN ({_marks(part)})",
            part)}
        for row_id in part:
            _, title, author, text, day, kind = found[row_id]
            yield LexicalRow(row_id, _lexical_text(title, author, text),
                             date.fromisoformat(day) if day else None, kind)


def _migrate(old: DenseIndex, spec: DenseSpec, conn: sqlite3.Connection) -> DenseIndex:
    """A new dense index of ``spec`` holding every vector of ``old`` still in the store."""
    new = DenseIndex.create(spec, old.dim)
    ids = np.fromiter((r[0] for r in conn.execute("SELECT id FROM chunks")), dtype=np.int64)
    block = 20_000
    for start in range(0, len(ids), block):
        part = ids[start:start + block]
        new.add(old.reconstruct_batch(part), part)
    new.finish()
    return new


def _publish(index_dir: Path, name: str) -> None:
    tmp = index_dir / "CURRENT.tmp"
    with tmp.open("w") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    fd = os.open(index_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_paths(paths: list[Path]) -> None:
    """Delete superseded versions. A reader holding an old one open keeps its file handles."""
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def index_status(corpus_dir: str | os.PathLike, index_dir: str | os.PathLike,
                 settings: Settings | None = None) -> str:
    """``missing``, ``stale`` (corpus, model or chunker changed) or ``fresh``."""
    settings = settings or Settings.from_env()
    version = _read_current(Path(index_dir))
    if version is None:
        return "missing"
    manifest = json.loads((version / "manifest.json").read_text())
    if (manifest.get("format_version") != FORMAT_VERSION
            or manifest["embedding"]["model"] != settings.embedding_model
            or manifest["chunker"] != _config_from(settings).as_dict()):
        return "stale"
    conn = _connect(version / "chunks.sqlite", readonly=True)
    try:
        known = {r[0]: r[1:] for r in conn.execute("SELECT source, size, mtime_ns FROM files")}
    finally:
        conn.close()
    current = {source: (stat.st_size, stat.st_mtime_ns)
               for source, _, stat in _walk_corpus(Path(corpus_dir))}
    return "fresh" if current == known else "stale"


def ensure_index(settings: Settings, *, quiet: bool = False) -> str:
    """Build or update the index when it is missing or stale; returns the status found.

    Progress goes to stderr, since stdout may carry a protocol (the MCP server's).
    """
    import sys

    status = index_status(settings.corpus_dir, settings.index_dir, settings=settings)
    if status == "fresh":
        return status

    def say(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)

    say(f"index {status}: indexing {settings.corpus_dir} …")

    def progress(done: int, total: int) -> None:
        if done == total or done % 64 == 0:
            say(f"  embedded {done}/{total} passages")

    report = build_index(settings.corpus_dir, settings.index_dir, settings=settings,
                         progress=progress)
    say(f"  {report.summary()}")
    return status
