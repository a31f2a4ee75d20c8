"""The chunk store: one sqlite file per version, and every SQL statement the package runs.

``chunks`` holds each passage by its FAISS id (a hash of its content, ``records.faiss_id``)
with the fields a ``Chunk`` has; ``files`` holds a ``FileRow`` per corpus file. Nothing
outside this module writes SQL: readers call ``ChunkStore``'s named methods, a build writes
through ``ChunkWriter``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np

from assistant.index.files import FileRow
from assistant.index.lexical import LexicalRow, passage_text
from assistant.ingest.archives import is_archive
from assistant.records import Chunk, faiss_id

__all__ = ["CHUNKS_FILE", "CHUNK_COLUMNS", "ChunkStore", "ChunkWriter", "chunk_from_row",
           "connect_readonly"]

CHUNKS_FILE = "chunks.sqlite"
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
    context TEXT NOT NULL DEFAULT '',
    reply_to TEXT                    -- a reply's parent author ('' when anonymous)
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_date ON chunks(date);
CREATE INDEX IF NOT EXISTS chunks_kind ON chunks(kind);
CREATE INDEX IF NOT EXISTS chunks_post ON chunks(post_id);
CREATE INDEX IF NOT EXISTS chunks_author ON chunks(author COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY,
    sha256 TEXT,
    size INTEGER,
    mtime_ns INTEGER,
    status TEXT NOT NULL,            -- indexed | skipped | attached (read with its post)
    reason TEXT,
    posts INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    left_out TEXT NOT NULL DEFAULT '',  -- entries left out by reason: "draft=2;spam=3"
    blog_title TEXT NOT NULL DEFAULT ''  -- the export's name for the blog
);
"""
# Columns added after stores were first written: a version written before them is read
# (as NULL / the default) and the writer adds them to its copy, so an upgrade reuses
# every vector instead of re-embedding the archive.
_ADDED_COLUMNS = {"chunks": (("reply_to", "TEXT"),),
                  "files": (("comments", "INTEGER NOT NULL DEFAULT 0"),
                            ("left_out", "TEXT NOT NULL DEFAULT ''"),
                            ("blog_title", "TEXT NOT NULL DEFAULT ''"))}

CHUNK_COLUMNS = ("id", "chunk_id", "post_id", "source", "title", "date", "kind", "author",
                 "comment_number", "position", "text", "url", "context", "reply_to")
_FILE_COLUMNS = ("source", "sha256", "size", "mtime_ns", "status", "reason", "posts", "chunks",
                 "comments", "left_out", "blog_title")
_INSERT = (f"INSERT OR REPLACE INTO chunks ({', '.join(CHUNK_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(CHUNK_COLUMNS))})")
_INSERT_FILE = (f"INSERT INTO files ({', '.join(_FILE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_FILE_COLUMNS))})")
_BATCH = 500  # ids or sources per ``IN (...)``: well under sqlite's variable limit


def _select(db: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> str:
    """``columns`` as a select list, NULL for the ones an older store lacks."""
    have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    return ", ".join(c if c in have else f"NULL AS {c}" for c in columns)


def chunk_from_row(row: sqlite3.Row | tuple) -> Chunk:
    values = dict(zip(CHUNK_COLUMNS, row, strict=False))
    return Chunk(
        chunk_id=values["chunk_id"], post_id=values["post_id"], source=values["source"],
        title=values["title"],
        date=date.fromisoformat(values["date"]) if values["date"] else None,
        kind=values["kind"], author=values["author"], comment_number=values["comment_number"],
        position=values["position"], text=values["text"], url=values["url"],
        context=values["context"], reply_to=values.get("reply_to"),
    )


def _chunk_row(chunk: Chunk) -> tuple:
    return (faiss_id(chunk.chunk_id), chunk.chunk_id, chunk.post_id, chunk.source, chunk.title,
            chunk.date.isoformat() if chunk.date else None, chunk.kind, chunk.author,
            chunk.comment_number, chunk.position, chunk.text, chunk.url, chunk.context,
            chunk.reply_to)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A published version is never written again; its readers may share one connection
    across threads (each statement is a single call)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def _batches(items: list, size: int = _BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(items: list) -> str:
    return ",".join("?" * len(items))


class ChunkStore:
    """Reading a chunk store. ``db``, the sqlite connection, is for this module's methods."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self._chunk_select: str | None = None

    @property
    def chunk_select(self) -> str:
        """The select list of every ``CHUNK_COLUMNS`` column (NULL for one it lacks)."""
        if self._chunk_select is None:
            self._chunk_select = _select(self.db, "chunks", CHUNK_COLUMNS)
        return self._chunk_select

    @staticmethod
    def read(path: Path) -> ChunkStore:
        """The chunk store at ``path``, read-only."""
        return ChunkStore(connect_readonly(path))

    def close(self) -> None:
        self.db.close()

    def problem(self, deep: bool = False) -> str | None:
        """What keeps this store from being read, or None (``integrity``): its header and
        schema, on page one; with ``deep``, sqlite's ``quick_check`` of every page too."""
        try:
            tables = {name for (name,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"chunks", "files"} <= tables:
                return "its tables are missing"
            if deep and (result := self.db.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
                return f"sqlite quick_check: {result}"
        except sqlite3.DatabaseError as exc:
            return f"not a readable sqlite database ({exc})"
        return None

    # ------------------------------------------------------------ passages

    def chunks_by_ids(self, ids: list[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        rows = self.db.execute(
            f"SELECT {self.chunk_select} FROM chunks WHERE id IN ({_marks(ids)})",
            [int(i) for i in ids]).fetchall()
        return {row[0]: chunk_from_row(row) for row in rows}

    def ids_by_author(self, author: str) -> np.ndarray:
        """Ids of the passages by ``author`` (any case), through the index on author."""
        rows = self.db.execute("SELECT id FROM chunks WHERE author = ? COLLATE NOCASE",
                               (author,)).fetchall()
        return np.asarray([r[0] for r in rows], np.int64)

    def authors(self, limit: int = 300) -> list[str]:
        """The ``limit`` most frequent non-empty authors (one spelling of each, whatever
        its case), most frequent first."""
        rows = self.db.execute(
            "SELECT author, COUNT(*) AS c FROM chunks WHERE author IS NOT NULL AND author != '' "
            "GROUP BY author COLLATE NOCASE ORDER BY c DESC LIMIT ?", (limit,)).fetchall()
        return [r[0] for r in rows]

    def sign_offs(self, row_ids: list[int]) -> dict[int, int]:
        """For each passage of ``row_ids`` in a signed section of a post (it has an author
        but not the author's name), the row id of the section's last passage that holds the
        name: the sign-off (``search.authorship``)."""
        if not row_ids:
            return {}
        ids = [int(i) for i in row_ids]
        rows = self.db.execute(
            f"SELECT id, post_id, author, text FROM chunks WHERE id IN ({_marks(ids)}) "
            "AND kind = 'post' AND author IS NOT NULL", ids).fetchall()
        found: dict[int, int] = {}
        for row_id, post_id, author, text in rows:
            if author in text:
                continue  # already the passage with the name in it
            sign_off = self.db.execute(
                "SELECT id FROM chunks WHERE post_id = ? AND kind = 'post' AND author = ? "
                "AND instr(text, author) > 0 ORDER BY position DESC LIMIT 1",
                (post_id, author)).fetchone()
            if sign_off:
                found[row_id] = sign_off[0]
        return found

    def previous_text(self, chunk_id: str) -> str | None:
        """The text of the passage before ``chunk_id`` in the same piece (the same post
        section or the same comment, by the same writer), or None at the piece's start."""
        row = self.db.execute(
            "SELECT p.text FROM chunks c JOIN chunks p ON p.source = c.source "
            "AND p.post_id = c.post_id AND p.position = c.position - 1 AND p.kind = c.kind "
            "AND coalesce(p.comment_number, '') = coalesce(c.comment_number, '') "
            "AND coalesce(p.author, '') = coalesce(c.author, '') WHERE c.chunk_id = ?",
            (chunk_id,)).fetchone()
        return row[0] if row else None

    def date_span(self) -> tuple[str, str] | None:
        """The first and last dates of the archive's passages (ISO), None when undated."""
        row = self.db.execute("SELECT min(date), max(date) FROM chunks "
                              "WHERE date IS NOT NULL AND date != ''").fetchone()
        return (row[0], row[1]) if row and row[0] else None

    def most_discussed(self, limit: int = 3) -> list[tuple[str, int]]:
        """``(title, comments)`` of the posts with the most comments, most first (posts
        with none are left out); a comment is counted once however many passages it has."""
        rows = self.db.execute(
            "SELECT title, COUNT(DISTINCT coalesce(comment_number, id)) AS c FROM chunks "
            "WHERE kind = 'comment' GROUP BY post_id ORDER BY c DESC, title LIMIT ?",
            (limit,)).fetchall()
        return [(title, count) for title, count in rows]

    def titles(self) -> list[str]:
        """Every distinct post title, sorted."""
        return [t for (t,) in self.db.execute("SELECT DISTINCT title FROM chunks ORDER BY title")]

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM chunks WHERE kind = ?", (kind,)).fetchone()[0]

    def document_keys(self) -> tuple[np.ndarray, list[str]]:
        """``(ids, keys)``: each passage's id and the document it belongs to (its post, or
        its post and comment number), for counting documents rather than passages."""
        rows = self.db.execute("SELECT id, post_id, coalesce(comment_number, '') FROM chunks")
        ids, keys = [], []
        for row_id, post_id, number in rows:
            ids.append(row_id)
            keys.append(f"{post_id}#{number}")
        return np.asarray(ids, np.int64), keys

    def post_chunks(self, post_id: str, limit: int) -> list[Chunk]:
        """The first ``limit`` passages of one post: its body, then its comments, each in
        reading order. The chunker numbers a file's passages in thread order (a reply right
        after its parent), so ``position`` is that order; a date or a comment number is not
        ("2" sorts before "1.1")."""
        rows = self.db.execute(
            f"SELECT {self.chunk_select} FROM chunks WHERE post_id = ? "
            "ORDER BY kind = 'comment', source, position LIMIT ?",
            (post_id, limit))
        return [chunk_from_row(r) for r in rows]

    def post_chunk_count(self, post_id: str) -> int:
        """How many passages the post ``post_id`` has, body and comments."""
        return self.db.execute("SELECT COUNT(*) FROM chunks WHERE post_id = ?",
                               (post_id,)).fetchone()[0]

    def all_ids(self) -> np.ndarray:
        return np.fromiter((r[0] for r in self.db.execute("SELECT id FROM chunks")),
                           dtype=np.int64)

    def _rows_by_source(self, columns: str, sources: Iterable[str]) -> Iterator[tuple]:
        """``(source, *columns)`` of every passage of ``sources``: its own, and for an
        archive (``ingest.archives``) its members', whose sources are ``<archive>/<member>``:
        each counted under the archive, the file the corpus holds."""
        wanted = sorted(set(sources))
        for part in _batches(wanted):
            yield from self.db.execute(
                f"SELECT source, {columns} FROM chunks WHERE source IN ({_marks(part)})", part)
        for source in filter(is_archive, wanted):  # "0" sorts just after "/": a prefix range
            yield from self.db.execute(
                f"SELECT ?, {columns} FROM chunks WHERE source >= ? AND source < ?",
                (source, f"{source}/", f"{source}0"))

    def ids_by_source(self, sources: Iterable[str]) -> dict[str, np.ndarray]:
        """The ids of each of ``sources`` that has passages (an archive's: its members')."""
        found: dict[str, list[int]] = {}
        for source, row_id in self._rows_by_source("id", sources):
            found.setdefault(source, []).append(row_id)
        return {source: np.asarray(ids, np.int64) for source, ids in found.items()}

    def units_by_source(self, sources: Iterable[str]) -> dict[str, dict[str, frozenset[int]]]:
        """For each of ``sources``, the ids of each post body (keyed by post id) and each
        comment (``post_id#number``): what a build compares to count posts and comments
        added, changed and removed."""
        found: dict[str, dict[str, set[int]]] = {}
        for source, post_id, number, row_id in self._rows_by_source(
                "post_id, comment_number, id", sources):
            key = f"{post_id}#{number}" if number else post_id
            found.setdefault(source, {}).setdefault(key, set()).add(row_id)
        return {source: {k: frozenset(v) for k, v in units.items()}
                for source, units in found.items()}

    def post_addresses(self, sources: Iterable[str]) -> Iterator[tuple[str, str, str,
                                                                       str | None, str]]:
        """``(source, post_id, title, date, url)`` of each post of ``sources`` that has an
        address: where a comment export's threads find the posts they were left on."""
        seen: set[str] = set()
        for source, post_id, title, day, url, kind in self._rows_by_source(
                "post_id, title, date, url, kind", sources):
            if kind == "post" and url and post_id not in seen:
                seen.add(post_id)
                yield source, post_id, title, day, url

    def post_counts(self, sources: set[str] | None = None) -> tuple[int, int]:
        """(posts, comments) in ``sources`` (all when None; an archive's: its members'):
        posts by their body's passages, which lie in one source (a Disqus thread joined
        to a post of another file has comments only)."""
        query = ("SELECT COUNT(DISTINCT CASE WHEN kind = 'post' THEN post_id END), "
                 "COUNT(DISTINCT CASE WHEN kind = 'comment' "
                 "THEN post_id || '#' || comment_number END) FROM chunks")
        if sources is None:
            return tuple(self.db.execute(query).fetchone())
        posts = comments = 0
        wanted = sorted(sources)
        for part in _batches(wanted):
            p, c = self.db.execute(f"{query} WHERE source IN ({_marks(part)})", part).fetchone()
            posts, comments = posts + p, comments + c
        for source in filter(is_archive, wanted):
            p, c = self.db.execute(f"{query} WHERE source >= ? AND source < ?",
                                   (f"{source}/", f"{source}0")).fetchone()
            posts, comments = posts + p, comments + c
        return posts, comments

    def lexical_rows(self, ids: np.ndarray) -> Iterator[LexicalRow]:
        """BM25 rows of ``ids``, in that order."""
        for part in _batches(ids.tolist()):
            found = {row[0]: row for row in self.db.execute(
                "SELECT id, title, author, text, date, kind FROM chunks "
                f"WHERE id IN ({_marks(part)})", part)}
            for row_id in part:
                _, title, author, text, day, kind = found[row_id]
                day = date.fromisoformat(day) if day else None
                yield LexicalRow(row_id, passage_text(title, author, text, day), day, kind,
                                 body=text)

    # ------------------------------------------------------------ files

    def file_rows(self) -> dict[str, FileRow]:
        """Each corpus file the version knows, by source, in the table's order."""
        columns = _select(self.db, "files", _FILE_COLUMNS)
        return {row[0]: FileRow(*row[:8], row[8] or 0, row[9] or "", row[10] or "")
                for row in self.db.execute(f"SELECT {columns} FROM files")}

    def file_status_counts(self) -> dict[str, int]:
        """Files by status: ``{"indexed": n, "skipped": m}``."""
        return dict(self.db.execute("SELECT status, COUNT(*) FROM files GROUP BY status"))


class ChunkWriter(ChunkStore):
    """A chunk store being written (a version in staging), created if it does not exist."""

    @staticmethod
    def create(path: Path) -> ChunkWriter:
        """Open ``path`` for writing, creating the tables it lacks."""
        db = sqlite3.connect(path, check_same_thread=False)
        db.executescript(_SCHEMA)
        for table, added in _ADDED_COLUMNS.items():  # a copy of an older version's store
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for name, kind in added:
                if name not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        db.execute("PRAGMA synchronous = OFF")  # the whole folder is fsynced before publish
        return ChunkWriter(db)

    def insert(self, chunks: Iterable[Chunk]) -> None:
        """Add or replace passages (by id)."""
        self.db.executemany(_INSERT, [_chunk_row(c) for c in chunks])

    def delete(self, ids: np.ndarray) -> None:
        self.db.executemany("DELETE FROM chunks WHERE id = ?", ((int(i),) for i in ids))

    def replace_files(self, rows: Iterable[FileRow]) -> None:
        self.db.execute("DELETE FROM files")
        self.db.executemany(_INSERT_FILE, [row.astuple() for row in rows])

    def commit(self) -> None:
        self.db.commit()
