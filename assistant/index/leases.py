"""Leases on versions: a reader's hold on the version it has open, which cleanup respects.

A reader takes a shared ``flock`` on the version's folder itself (an fd opened on the
folder: nothing is written, so a read-only index works) and holds it while the version is
open. Cleanup takes an exclusive lock without waiting; a version it cannot lock is in use,
in this process or any other, and is skipped. ``flock`` locks belong to an open file, not
to a process (``fcntl``/``lockf`` locks do, and would let a page's own re-index delete the
version its own searches read), so two opens in one process exclude each other too.

Security: cleanup never waits on a reader (it skips what it cannot lock) and a reader waits
on cleanup for one ``rename`` at most, so a client holding a search open cannot stall a
build, nor a build a search.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

__all__ = ["Lease", "VersionGoneError", "retire"]


class VersionGoneError(FileNotFoundError):
    """The version was retired between reading ``CURRENT`` and taking its lease."""


class Lease:
    """A shared lock on one version folder, held until ``release`` (or garbage collection)."""

    def __init__(self, version_dir: Path):
        self.path = Path(version_dir)
        try:
            self._fd: int | None = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError as exc:
            raise VersionGoneError(f"version {self.path.name} was removed") from exc
        try:
            # Blocks only while a cleanup holds its exclusive lock, which it keeps for one
            # rename; then the folder is gone from its name, and the check below says so.
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            if not _same_folder(self.path, self._fd):
                raise VersionGoneError(f"version {self.path.name} was removed")
        except BaseException:
            self.release()
            raise

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let cleanup remove the version (closing the fd drops the lock)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:  # a store dropped without close() still lets go
        with contextlib.suppress(Exception):  # at interpreter exit ``os`` may be gone
            self.release()

    def __repr__(self) -> str:
        return f"Lease({self.path.name!r}, held={self.held})"


def _same_folder(path: Path, fd: int) -> bool:
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def retire(version_dir: Path, trash: Path) -> bool:
    """Rename ``version_dir`` to ``trash`` unless a reader holds a lease on it.

    True when renamed (the caller deletes ``trash``: no lease can be taken on it any more,
    since a lease checks the folder still has its name); False when it is in use.
    """
    try:
        fd = os.open(version_dir, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.rename(version_dir, trash)
        return True
    finally:
        os.close(fd)
