"""Getting a version's files onto disk: fsync, copies that share bytes, and an I/O thread.

A build writes a complete version beside the published one and fsyncs all of it before it
swaps ``CURRENT``, so a crash at any moment leaves the previous version loadable.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

__all__ = ["Background", "copy_file", "fsync_path", "fsync_tree", "link_or_copy"]


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Every file and folder under ``root``, deepest first, then ``root`` itself."""
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        fsync_path(path)
    fsync_path(root)


def copy_file(src: Path, dst: Path) -> None:
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


def link_or_copy(source: Path, target: Path) -> None:
    """Share ``source``'s bytes (versions are never written in place), copying across
    filesystems or where links are not supported."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class Background:
    """One worker thread for a version's I/O: loading the previous dense index while the
    store is copied, and fsyncing each finished file while the build goes on, so the
    closing ``fsync_tree`` finds them already on disk (a re-index at 100,000 chunks writes
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
            self.run(fsync_path, path)

    def wait(self) -> None:
        """Block until everything submitted is done; raise the first error."""
        for future in self._pending:
            future.result()

    def close(self) -> None:
        """Stop the worker (after what it is running); errors are left to ``wait``."""
        self._pool.shutdown(wait=True, cancel_futures=True)
