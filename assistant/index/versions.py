"""Versions of an index folder: which one is published, publishing a new one, the build lock.

Layout of an index folder::

    CURRENT                 name of the published version (swapped atomically)
    versions/<name>/        manifest.json, chunks.sqlite, dense.faiss (hard-linked from
                            the previous version after a small edit, with dense_delta.npz),
                            lexical/
    versions/.tmp-<name>/   a version being written (removed if the build fails)
    .resume/                embedded batches of an unfinished build (deleted on publish)
    .lock                   held while a build runs
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from assistant.index.durability import fsync_path
from assistant.index.manifest import MANIFEST_FILE

__all__ = ["IndexNotFoundError", "build_lock", "new_version_name", "publish", "read_current",
           "remove_superseded"]


class IndexNotFoundError(FileNotFoundError):
    """No published index in the folder."""


def read_current(index_dir: Path) -> Path | None:
    """The published version's folder, or None when there is none (or it is incomplete)."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    version = index_dir / "versions" / name
    return version if (version / MANIFEST_FILE).is_file() else None


def new_version_name() -> str:
    """Sortable by time, unique across processes."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-" \
        + hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:6]


def publish(index_dir: Path, name: str) -> None:
    """Point ``CURRENT`` at version ``name``, durably, in one atomic rename."""
    tmp = index_dir / "CURRENT.tmp"
    with tmp.open("w") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    fsync_path(index_dir)


def _remove_paths(paths: list[Path]) -> None:
    """Delete superseded versions. A reader holding an old one open keeps its file handles."""
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def remove_superseded(index_dir: Path, current: str) -> None:
    """Every version but ``current``, deleted in a background thread."""
    # Deleting the superseded version (hundreds of MB at scale) need not delay the caller;
    # whatever a killed process leaves behind, the next build removes.
    old = [p for p in (index_dir / "versions").iterdir() if p.name != current]
    threading.Thread(target=_remove_paths, args=(old,), daemon=True).start()


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Held while a build runs: a second build on the same folder fails at once."""
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
