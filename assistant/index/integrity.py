"""Integrity of a published version: its files against the sizes and sha256 its manifest
records, and the marker that tells a reader a build was killed.

What is checked, and when:

* opening a version for reading (``IndexStore``): the manifest parses and
  matches its own digest, every recorded file is there at its recorded size, and the chunk
  store's header and schema read. Half a millisecond: it catches a cut or missing file, a
  garbled or edited manifest and a broken sqlite header, not a byte flipped inside a file.
* a build (before it reuses the published version), a server's start-up
  (``index_status``) and ``python -m assistant index --verify``: every file's sha256
  too, 0.22 s for the 309 MB of a 100,000-chunk version (1 ms for the shipped corpus's
  0.8 MB).
  A build copies the previous version's store, vectors and postings into the next one, so a
  corruption it did not look for would be carried forward under fresh checksums.
* opening after an unclean stop (``BUILD_MARKER`` left by a build that was killed, its
  process gone): every sha256 as well, on every open until a build finishes.

Manifests written before checksums were recorded still open: their sizes are checked, the
checksums are "unknown" (``--verify`` says so), and a deep check runs sqlite's
``quick_check`` on the chunk store instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from assistant.hashing import sha256_file
from assistant.index.manifest import MANIFEST_FILE, SELF_KEY, Manifest, self_digest
from assistant.index.store import CHUNKS_FILE, ChunkStore

__all__ = ["BUILD_MARKER", "CORRUPT_DIR", "CorruptIndexError", "Problem", "Verification",
           "build_marker", "current_folder", "open_checked", "read_manifest", "set_aside",
           "unclean_stop", "verify_in_background", "verify_version"]

BUILD_MARKER = ".building"  # written when a build starts, removed when it ends (even on error)
CORRUPT_DIR = "corrupt"     # where a corrupt version is moved, beside versions/
REPAIR = ("run `python -m assistant index` to repair it (it rebuilds from the corpus and "
          "keeps the bad version aside)")


class CorruptIndexError(RuntimeError):
    """A published version's files do not match its manifest (or the manifest is bad)."""


@dataclass(frozen=True)
class Problem:
    """One bad file of a version: its path in the version, and what is wrong with it."""

    file: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.detail}"


@dataclass(frozen=True)
class Verification:
    """What checking one version found."""

    version: Path
    manifest: Manifest | None  # None: the manifest itself is bad
    problems: tuple[Problem, ...] = ()
    files: int = 0                # files recorded by the manifest
    hashed: int = 0               # of them, checksums compared
    unknown: tuple[str, ...] = ()  # recorded without a checksum (an older manifest)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """The bad files in one line: ``dense.faiss: missing; lexical/ids.npy: …``."""
        return "; ".join(map(str, self.problems))

    def error(self) -> CorruptIndexError:
        """The one-line error a reader raises: the bad files, and the fix."""
        return CorruptIndexError(f"index version {self.version.parent.name}/"
                                 f"{self.version.name} is corrupt ({self.describe()}): {REPAIR}")


def read_manifest(version_dir: Path) -> tuple[Manifest | None, Problem | None]:
    """The version's manifest, or the problem that keeps it from being read."""
    try:
        text = (version_dir / MANIFEST_FILE).read_text()
    except FileNotFoundError:
        return None, Problem(MANIFEST_FILE, "missing")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(MANIFEST_FILE, f"unreadable ({exc})")
    try:
        data = json.loads(text)
        manifest = Manifest.from_json(data)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        return None, Problem(MANIFEST_FILE, f"not a valid manifest ({type(exc).__name__})")
    if SELF_KEY in data and data[SELF_KEY] != self_digest(data):
        return None, Problem(MANIFEST_FILE, "its contents do not match its own checksum")
    return manifest, None


def _sizes(version_dir: Path, manifest: Manifest) -> list[Problem]:
    found = []
    for name, size in manifest.file_bytes.items():
        try:
            actual = os.stat(version_dir / name).st_size
        except FileNotFoundError:
            found.append(Problem(name, "missing"))
            continue
        if actual != size:
            found.append(Problem(name, f"{size} bytes recorded, {actual} found"))
    return found


def _sqlite(version_dir: Path, deep: bool) -> list[Problem]:
    path = version_dir / CHUNKS_FILE
    if not path.is_file():
        return [Problem(CHUNKS_FILE, "missing")]
    store = ChunkStore.read(path)
    try:
        detail = store.problem(deep)
    finally:
        store.close()
    return [Problem(CHUNKS_FILE, detail)] if detail else []


def _checksums(version_dir: Path, manifest: Manifest, skip: set[str]) -> list[Problem]:
    found = []
    for name, digest in manifest.checksums.items():
        if name in skip:
            continue
        try:
            actual = sha256_file(version_dir / name)
        except OSError as exc:
            found.append(Problem(name, f"unreadable ({exc.strerror or exc})"))
            continue
        if actual != digest:
            found.append(Problem(name, "sha256 differs from the recorded one (bytes changed)"))
    return found


def verify_version(version_dir: Path, *, checksums: bool) -> Verification:
    """Check ``version_dir``: sizes and structure always, every sha256 with ``checksums``."""
    manifest, problem = read_manifest(version_dir)
    if problem is not None:
        return Verification(version_dir, None, (problem,))
    problems = _sizes(version_dir, manifest)
    bad = {p.file for p in problems}
    unknown = tuple(n for n in manifest.file_bytes if n not in manifest.checksums)
    hashed = 0
    if checksums:
        problems += _checksums(version_dir, manifest, bad)
        hashed = len(set(manifest.checksums) - bad)
    if not any(p.file == CHUNKS_FILE for p in problems):
        problems += _sqlite(version_dir, deep=checksums and CHUNKS_FILE in unknown)
    return Verification(version_dir, manifest, tuple(problems), len(manifest.file_bytes),
                        hashed, unknown)


def verify_in_background(version_dir: Path) -> Future:
    """``verify_version`` with every checksum, in a daemon thread (hashing releases the
    GIL): a build compares them while it plans, which hid most of the 0.22 s they take at
    100,000 chunks, a third of a re-index there. Daemon: Ctrl-C need not wait for it."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(verify_version(version_dir, checksums=True))
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="index-verify", daemon=True).start()
    return future


def open_checked(version_dir: Path) -> Manifest:
    """The manifest of a version about to be read, after the checks an open makes (every
    checksum too after an unclean stop); raises ``CorruptIndexError`` naming the bad file."""
    version_dir = Path(version_dir)
    verification = verify_version(version_dir,
                                  checksums=unclean_stop(version_dir.parent.parent))
    if not verification.ok:
        raise verification.error()
    return verification.manifest


def current_folder(index_dir: Path) -> Path | None:
    """The folder ``CURRENT`` names, if it exists: with its manifest or not (the pointer
    is written only after the folder is complete, so a missing manifest is corruption;
    ``versions.read_current`` calls that no index)."""
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    folder = index_dir / "versions" / name
    return folder if name and folder.is_dir() else None


def set_aside(index_dir: Path, checked: Verification) -> str:
    """Move the corrupt version ``checked`` found out of ``versions/`` (where cleanup would
    delete it) into ``corrupt/``, for a person to look at; returns the note that says so.
    Readers holding it keep their open files; ``CURRENT`` then names no version."""
    version, folder = checked.version, index_dir / CORRUPT_DIR
    target, n = folder / version.name, 1
    while target.exists():
        target, n = folder / f"{version.name}-{n}", n + 1
    try:
        folder.mkdir(exist_ok=True)
        os.replace(version, target)
    except OSError as exc:
        raise CorruptIndexError(f"the published version {version} is corrupt "
                                f"({checked.describe()}) and could not be moved aside "
                                f"({exc}): move it away and run `python -m assistant index` "
                                "again") from exc
    return (f"the published version is corrupt ({checked.describe()}): moved it to {target}; "
            "rebuilding from the corpus")


# ------------------------------------------------------------ unclean stops


def _marker_owner(index_dir: Path) -> tuple[str, int] | None:
    try:
        owner = json.loads((index_dir / BUILD_MARKER).read_text())
        return str(owner["host"]), int(owner["pid"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError):
        return "", 0  # unreadable: no owner to ask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def unclean_stop(index_dir: Path) -> bool:
    """Whether a build on ``index_dir`` was stopped without finishing (killed, power cut):
    its marker is there and its process is gone (one on another host cannot be asked, so
    it counts as stopped: the cost is a checksum pass, the risk a corrupt index served)."""
    owner = _marker_owner(Path(index_dir))
    if owner is None:
        return False
    host, pid = owner
    return host != socket.gethostname() or pid <= 0 or not _alive(pid)


@contextlib.contextmanager
def build_marker(index_dir: Path) -> Iterator[None]:
    """Mark a build as running (entered under the build lock). The marker goes when the
    build ends, whether it published or failed: only a kill or a power cut leaves it, and
    readers then compare every checksum (a build always does)."""
    path = index_dir / BUILD_MARKER
    tmp = index_dir / f"{BUILD_MARKER}.tmp"
    tmp.write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
    os.replace(tmp, path)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
