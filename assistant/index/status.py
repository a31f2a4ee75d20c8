"""Whether an index is up to date with its corpus, and bringing it up to date on start-up."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from assistant.embed.embedder import Embedder
from assistant.index.build import build_index
from assistant.index.files import walk_corpus
from assistant.index.integrity import current_folder, verify_version
from assistant.index.parse_pool import chunker_config
from assistant.index.store import CHUNKS_FILE, ChunkStore
from assistant.settings import Settings

__all__ = ["ensure_index", "index_status"]


def index_status(corpus_dir: str | os.PathLike, index_dir: str | os.PathLike,
                 settings: Settings | None = None) -> str:
    """``missing``, ``corrupt`` (a file does not match its size or sha256: ``integrity``),
    ``stale`` (corpus, model or chunker changed) or ``fresh``. ``ensure_index`` builds for
    the first three; a build compares every checksum, and repairs a corrupt version."""
    settings = settings or Settings.from_env()
    version = current_folder(Path(index_dir))
    if version is None:
        return "missing"
    # Every checksum, not only sizes: this is a server's start-up check (``serve``, ``mcp``,
    # ``app.py``), and with sizes alone it started on flipped chunk text, FAISS vectors or
    # BM25 postings and served them (4 of 10 damages, ``benchmarks.corruption``). 0.22 s
    # per 100,000 chunks, once, against a start-up of 10-25 s.
    checked = verify_version(version, checksums=True)
    if not checked.ok:
        return "corrupt"
    manifest = checked.manifest
    # The recorded id names the backend too ("all-MiniLM-L6-v2+onnx-int8"); comparing the bare
    # model name called every int8 index stale, so each start-up re-planned the whole corpus.
    model_id = Embedder.from_settings(settings).model_id
    if manifest.check(where=version, model=model_id,
                      chunker=chunker_config(settings).as_dict()):
        return "stale"
    store = ChunkStore.read(version / CHUNKS_FILE)
    try:
        known = {s: (row.size, row.mtime_ns) for s, row in store.file_rows().items()}
    finally:
        store.close()
    current = {file.source: (file.size, file.mtime_ns) for file in walk_corpus(Path(corpus_dir))}
    return "fresh" if current == known else "stale"


def ensure_index(settings: Settings, *, quiet: bool = False) -> str:
    """Build or update the index when it is missing or stale; returns the status found.

    Progress goes to stderr, since stdout may carry a protocol (the MCP server's).
    """
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
    for note in report.notes:  # a corrupt version set aside, a model change, …
        say(f"  note: {note}")
    say(f"  {report.summary()}")
    return status
