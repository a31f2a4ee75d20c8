"""Bringing a file, folder or zip into the corpus folder (``python -m assistant import``).

Everything is checked before anything is written: the path exists and is not a link, it is
not already inside the corpus, at least one of its files yields posts (read exactly as a
build reads them), and no file it would write differs from one already there (unless
``replace``). Only then are the readable files copied, each to a hidden temporary name and
renamed into place, under ``<corpus>/<name>/``.

Security decisions, enforced here: nothing is written outside the corpus folder; links are
never followed (a link given, or met in a folder, is not copied: what the archive serves stays
what its operator chose); hidden files are not copied, as builds skip them.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from assistant.hashing import sha256_file
from assistant.ingest.files import SUPPORTED_SUFFIXES, SkippedFile
from assistant.ingest.parse import read_file
from assistant.ingest.staticman import pair_comment_files

__all__ = ["ImportRefused", "Imports", "import_path"]


class ImportRefused(ValueError):
    """Nothing was imported; ``str(exc)`` is one line naming the cause and the fix."""


@dataclass(frozen=True)
class Imports:
    """What ``import_path`` did: the corpus folder it filled, the files copied and the
    ones already there with the same content (corpus-relative), and the files it did not
    take with why (``(path inside what was given, reason)``)."""

    folder: str
    copied: tuple[str, ...]
    unchanged: tuple[str, ...]
    not_taken: tuple[tuple[str, str], ...]


def import_path(path: str | os.PathLike, corpus_dir: str | os.PathLike, *,
                replace: bool = False, max_bytes: int = 20 * 1024 * 1024) -> Imports:
    """Copy the readable files of ``path`` (a file, a zip or a folder) into
    ``corpus_dir/<its name>/``. Raises ``ImportRefused`` (nothing written) for a missing
    path, a link, an unsupported type, nothing importable, or a different file already in
    the way without ``replace``."""
    given = Path(path)
    corpus = Path(corpus_dir).resolve()
    source = _checked_source(given, corpus)
    name = _folder_name(source)
    folder = (corpus / name).resolve()
    if folder.parent != corpus:
        raise ImportRefused(f"cannot import {given}: its name {name!r} is not a folder name")
    candidates, not_taken = _candidates(given, source)
    # a static site's comment files are read with their post, never alone (``staticman``)
    paired, orphans = pair_comment_files([relative for relative, _ in candidates])
    attached = {c for comments in paired.values() for c in comments}
    readable = []
    for relative, file in candidates:
        if relative in attached:
            readable.append((relative, file))
            continue
        if relative in orphans:
            not_taken.append((relative, orphans[relative]))
            continue
        try:
            read_file(file, f"{name}/{relative}", max_bytes)
        except (SkippedFile, OSError) as exc:
            not_taken.append((relative, str(exc)))
        else:
            readable.append((relative, file))
    if not readable:
        why = "; ".join(f"{r}: {reason}" for r, reason in not_taken[:3]) or "no files"
        raise ImportRefused(f"nothing importable in {given} ({why})")
    plan = _plan(readable, folder, corpus, replace)
    copied = []
    for file, target in plan:
        _copy(file, target)
        copied.append(target.relative_to(corpus).as_posix())
    done = set(copied)
    unchanged = tuple(f"{name}/{r}" for r, _ in readable if f"{name}/{r}" not in done)
    return Imports(name, tuple(copied), unchanged, tuple(not_taken))


_TEXT = (".txt", ".md", ".html")


def _checked_source(given: Path, corpus: Path) -> Path:
    """``given`` resolved, once it exists, is no link, and is neither in the corpus nor
    holding it."""
    if given.is_symlink():
        raise ImportRefused(f"{given} is a link: links are not followed; import the file or "
                            "folder it points to")
    if not given.exists():
        raise ImportRefused(f"{given} not found")
    source = given.resolve()
    if source == corpus or corpus in source.parents:
        raise ImportRefused(f"{given} is already in the corpus folder {corpus}: run "
                            "`python -m assistant index`")
    if source in corpus.parents:
        raise ImportRefused(f"{given} holds the corpus folder {corpus}: import the folder "
                            "of posts or the export itself")
    return source


def _candidates(given: Path, source: Path) -> tuple[list[tuple[str, Path]],
                                                     list[tuple[str, str]]]:
    """The files to read, as (path inside what was given, path), and those left out."""
    if source.is_dir():
        return _walk(source)
    if not source.is_file():
        raise ImportRefused(f"{given} is neither a file nor a folder")
    if source.suffix.lower() not in SUPPORTED_SUFFIXES or source.name.startswith("."):
        raise ImportRefused(f"unsupported file type {source.suffix or '(none)'}: import a "
                            f"blog export, a zip, a folder or a {', '.join(_TEXT)} file")
    return [(source.name, source)], []


def _folder_name(source: Path) -> str:
    """The corpus subfolder for ``source``: its name (a file's without its suffix), made of
    letters, digits, ``.``, ``_`` and ``-``."""
    stem = source.name if source.is_dir() else source.stem
    return re.sub(r"[^\w.-]+", "_", stem).strip("._-") or "import"


def _walk(root: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, str]]]:
    """The folder's visible regular files with a supported suffix, sorted, as
    (``/``-separated relative path, path); and the files left out with why."""
    found: list[tuple[str, Path]] = []
    left: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (here / d).is_symlink())
        for file_name in sorted(files):
            path = here / file_name
            relative = path.relative_to(root).as_posix()
            if file_name.startswith("."):
                continue
            if path.is_symlink():
                left.append((relative, "a link (not followed)"))
            elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
                left.append((relative, f"unsupported file type {path.suffix}"))
            elif path.is_file():
                found.append((relative, path))
    return found, left


def _plan(readable: list[tuple[str, Path]], folder: Path, corpus: Path,
          replace: bool) -> list[tuple[Path, Path]]:
    """(file, target) for each file to copy; the ones already there with the same content
    are left out. Raises ``ImportRefused`` before anything is written for a target outside
    the corpus, or a different file (or a folder) in the way without ``replace``."""
    plan = []
    for relative, file in readable:
        target = folder / relative
        if os.path.commonpath([os.path.realpath(target.parent), corpus]) != str(corpus):
            raise ImportRefused(f"refused: {relative} would be written outside the corpus "
                                "folder (a link in the way?)")
        if target.is_symlink() or target.is_dir():
            raise ImportRefused(f"{target} is in the way (a link or a folder): move it")
        if target.exists():
            if sha256_file(target) == sha256_file(file):
                continue
            if not replace:
                raise ImportRefused(f"{target} exists with different content: pass "
                                    "--replace to overwrite it")
        plan.append((file, target))
    return plan


def _copy(file: Path, target: Path) -> None:
    """Copy to a hidden name beside the target (builds skip it), then rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(file, tmp, follow_symlinks=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
