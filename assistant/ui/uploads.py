"""Adding posts from the page: uploaded files saved under ``corpus/uploads/``, the index
updated, and the assistant's retriever swapped to the new index version.

Security, enforced here: a file is written only inside ``<corpus>/uploads`` under a name of
``[A-Za-z0-9._-]`` (no folders, no leading dot), only with a suffix the corpus reader
parses, never over the size limit, only when its content is text by the build's own
reading (``ingest.files.read_text``: a PNG renamed ``.txt`` is refused here, not skipped by
every later build; a zip only when the build finds posts in it, ``ingest.archives``, and it
is stored as the zip, read in place), and never over an existing file (a numbered name is
picked instead; identical content is skipped).
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.hashing import sha256_file
from assistant.ingest.archives import is_archive
from assistant.ingest.files import SUPPORTED_SUFFIXES, SkippedFile, read_text
from assistant.ingest.parse import read_file
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.index.report import BuildReport

__all__ = [
    "ALLOWED_UPLOAD_SUFFIXES",
    "UPLOAD_FOLDER",
    "UploadResult",
    "max_upload_bytes",
    "reindex",
    "safe_filename",
    "save_upload",
    "save_uploads",
]

# Posts as text, and blog exports (WordPress/Blogger/Disqus XML, Takeout Atom, Ghost JSON,
# Jekyll YAML, zips of any of them): each only once the corpus reader parses its kind.
ALLOWED_UPLOAD_SUFFIXES = tuple(s for s in (".txt", ".md", ".markdown", ".html", ".htm",
                                            ".xml", ".atom", ".json", ".zip", ".yml", ".yaml")
                                if s in SUPPORTED_SUFFIXES)
UPLOAD_FOLDER = "uploads"
# Read whole before they are taken: whether one is an export is in its content
_DATA_SUFFIXES = (".xml", ".atom", ".json", ".yml", ".yaml")


@dataclass(frozen=True)
class UploadResult:
    """One uploaded file: where it was saved (corpus-relative), or why not."""

    name: str
    saved_as: str | None
    reason: str | None = None


def max_upload_bytes(settings: Settings) -> int:
    """``ASSISTANT_MAX_UPLOAD_MB`` in bytes (Gradio refuses larger files before they land)."""
    return int(float(settings.max_upload_mb) * 1024 * 1024)


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no leading dots, only ``[A-Za-z0-9._-]``."""
    name = unicodedata.normalize("NFKD", Path(str(name).replace("\\", "/")).name)
    name = name.encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"\.+", "_", stem).strip("._-")[:80] or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def _refusal(src: Path, name: str, max_bytes: int) -> str | None:
    """Why ``src`` (to be saved as ``name``) is not taken, or None."""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_UPLOAD_SUFFIXES:
        return (f"unsupported type {suffix or '(none)'}: upload "
                + ", ".join(ALLOWED_UPLOAD_SUFFIXES))
    size = src.stat().st_size
    if size > max_bytes:
        return f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
    if size == 0:
        return "empty file"
    return None


_SIGNATURES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"GIF8", "a GIF image"), (b"%PDF", "a PDF"), (b"PK\x03\x04", "a zip archive "
               "(or a Word/OpenDocument file)"), (b"MZ", "a Windows program"))


def _not_text(path: Path, max_bytes: int) -> str | None:
    """Why the build would skip ``path`` (binary, undecodable, blank; a zip or a data file
    (XML, JSON, YAML): no posts in it, or refused), or None. A lone Staticman comment file
    is refused here: it is read only beside its post (upload the site as a zip)."""
    if is_archive(path.name) or path.suffix.lower() in _DATA_SUFFIXES:
        try:
            read_file(path, path.name, max_bytes)
        except SkippedFile as exc:
            return f"not taken: {exc}"
        return None
    try:
        read_text(path, max_bytes)
    except SkippedFile as exc:
        if "binary" not in str(exc):
            return str(exc)  # "empty file (whitespace only)", …
        with path.open("rb") as fh:
            head = fh.read(8)
        what = next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)
        return (f"not a text file: its content is binary ({what or 'not text'}) although it "
                f"is named {path.suffix}; upload posts as text, Markdown or HTML")
    return None


def save_upload(src: str | os.PathLike, original_name: str, corpus_dir: Path,
                max_bytes: int) -> UploadResult:
    """Copy one uploaded file into ``corpus_dir/uploads`` under a sanitised name.

    Never writes outside the corpus folder; refuses unsupported types, oversized and
    empty files, and skips a file whose exact content is already there.
    """
    shown = Path(str(original_name).replace("\\", "/")).name or "file"
    name = safe_filename(shown)
    reason = _refusal(Path(src), name, max_bytes)
    if reason:
        return UploadResult(shown, None, reason)
    root = Path(corpus_dir).resolve()
    folder = (root / UPLOAD_FOLDER).resolve()
    if root not in folder.parents:
        return UploadResult(shown, None, "the upload folder is outside the corpus folder")
    folder.mkdir(parents=True, exist_ok=True)
    digest = sha256_file(src)
    stem, suffix = Path(name).stem, Path(name).suffix
    for i in range(1000):
        target = folder / (f"{stem}{suffix}" if i == 0 else f"{stem}-{i}{suffix}")
        if target.resolve().parent != folder:
            return UploadResult(shown, None, "invalid file name")
        if target.exists():
            if sha256_file(target) == digest:
                return UploadResult(shown, None, f"already in the archive as "
                                    f"{target.relative_to(root).as_posix()}")
            continue
        # Hidden (builds skip dot files) and with the target's suffix, so the copy is read
        # exactly as a build will read it once it is in place.
        tmp = folder / f".{target.stem}.part{target.suffix}"
        shutil.copyfile(src, tmp)
        unreadable = _not_text(tmp, max_bytes)
        if unreadable:
            tmp.unlink()
            return UploadResult(shown, None, unreadable)
        os.replace(tmp, target)
        return UploadResult(shown, target.relative_to(root).as_posix())
    return UploadResult(shown, None, "too many files with this name")


def save_uploads(files: Iterable[Any], settings: Settings) -> Iterator[UploadResult]:
    """Save each item of a ``gr.File`` value, yielding its result as soon as it is known (so a
    failure part-way still reports the files saved before it)."""
    max_bytes = max_upload_bytes(settings)
    for item in files:
        path = getattr(item, "name", None) or str(item)
        original = getattr(item, "orig_name", None) or Path(path).name
        yield save_upload(path, original, settings.corpus_dir, max_bytes)


def reindex(assistant: Any, settings: Settings, progress: Callable[..., Any]) -> BuildReport:
    """Update the index from the corpus folder and, when a new version was published, swap
    ``assistant.retriever`` to it before returning (``Retriever.refresh``: the swap a running
    server makes when another process publishes). Returns the ``BuildReport``.
    ``progress`` takes Gradio's ``Progress`` arguments."""
    # Looked up when called, so a caller (the tests) can substitute the builder.
    from assistant.index.build import build_index

    retriever = assistant.retriever
    embedder = retriever.embedder

    def tick(done: int, total: int) -> None:
        progress((done, total), desc="Embedding new passages", unit="passages")

    report = build_index(settings.corpus_dir, settings.index_dir, settings=settings,
                         embedder=embedder, progress=tick)
    if report.published:
        # The same retriever, swapped in place: searches running now finish on the old
        # version, and its lease keeps the build's cleanup from deleting it meanwhile.
        progress(0.99, desc="Opening the new index…")
        retriever.refresh()
    return report
