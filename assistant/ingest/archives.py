"""Zip archives read in place: each member read as a loose file would be, nothing extracted.

A member's posts get the source ``<zip source>/<member path>``, so a citation names the file
inside the zip; the index counts them under the zip (``index.store``: ``member_of``), and
what members left out is summed into the zip's ``Imported.left_out``.

Security decisions, enforced here: nothing is written to disk (members are read into memory,
one at a time, each no larger than a loose file may be); a member path that is absolute, has
a drive letter or climbs out with ``..`` is refused, never read; nested zips are not opened;
encrypted members are skipped; and a zip whose members would expand past
``MAX_ZIP_TOTAL_BYTES``, that holds more than ``MAX_ZIP_MEMBERS`` entries, or that has a
member over 1 MB compressed more than 100:1 (text compresses 3-10:1; a zip bomb thousands
to one) is refused whole, before any member is decompressed.
"""

from __future__ import annotations

import logging
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from assistant.ingest.files import SUPPORTED_SUFFIXES, SkippedFile, decode_bytes, fmt_size
from assistant.ingest.imported import Imported, merge
from assistant.ingest.staticman import pair_comment_files, with_comments
from assistant.ingest.takeout import takeout_chrome

__all__ = [
    "ARCHIVE_SUFFIXES",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_TOTAL_BYTES",
    "is_archive",
    "read_zip",
    "safe_member_path",
]

_log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".zip",)
# A Google Takeout of a large blog is tens of MB; 200 MB of text is ten times the biggest
# export we have seen, and bounds the work one upload or corpus file can cause.
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000  # a Takeout holds a few files per blog; a site dump a few thousand
_RATIO_LIMIT = 100  # uncompressed : compressed, for members above _RATIO_FLOOR
_RATIO_FLOOR = 1024 * 1024
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_ENCRYPTED = 0x1  # general purpose flag bit 0

ReadMember = Callable[[str, str, str], Imported]  # (text, source, suffix) -> Imported


def is_archive(source: str) -> bool:
    """Whether ``source`` names an archive read in place (its posts' sources lie under it)."""
    return source.lower().endswith(ARCHIVE_SUFFIXES)


def read_zip(path: Path, source: str, max_bytes: int, read_member: ReadMember) -> Imported:
    """Every member's posts, read by ``read_member`` (``parse.read_source_text``) from its
    decoded text, with what each left out summed, and members skipped counted by reason.
    Raises ``SkippedFile`` with a one-line reason for a zip that cannot be read, is refused
    (see the module's limits) or yields no post."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_ZIP_TOTAL_BYTES:
            raise SkippedFile(f"too large: {fmt_size(size)} > {fmt_size(MAX_ZIP_TOTAL_BYTES)} "
                              "limit for a zip")
        with zipfile.ZipFile(path) as archive:
            infos = _checked_infos(archive)
            counts: Counter[str] = Counter()
            names = [safe_member_path(i.filename) for i in infos]
            # a static site's Staticman comment files go with their post (``staticman``)
            paired, _ = pair_comment_files([name or "" for name in names])
            attached = {c for comments in paired.values() for c in comments}
            by_name = dict(zip(names, infos, strict=True))
            parts = []
            for info, name in zip(infos, names, strict=True):
                if name in attached:
                    continue
                part = _member(archive, info, f"{source}/", max_bytes, read_member, counts)
                if part is not None and name in paired:
                    part = _with_comment_members(archive, part, [
                        by_name[c] for c in paired[name]], max_bytes)
                if part is not None:
                    parts.append(part)
    except zipfile.BadZipFile as exc:
        raise SkippedFile(f"not a readable zip archive ({exc}); make the zip again") from exc
    except OSError as exc:
        raise SkippedFile(f"unreadable: {exc.strerror or exc.__class__.__name__}") from exc
    imported = merge([*parts, Imported.of((), counts)])
    if not imported.posts:
        found = ", ".join(f"{reason} {n}" for reason, n in imported.left_out)
        raise SkippedFile("no posts found in the zip" + (f" ({found})" if found else ""))
    return imported


def _checked_infos(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's file entries, in name order, once the whole archive is within limits."""
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_MEMBERS:
        raise SkippedFile(f"refused: the zip holds {len(infos):,} files, over the "
                          f"{MAX_ZIP_MEMBERS:,} limit; split it")
    total = sum(i.file_size for i in infos)
    if total > MAX_ZIP_TOTAL_BYTES:
        raise SkippedFile(f"refused: the zip expands to {fmt_size(total)}, over the "
                          f"{fmt_size(MAX_ZIP_TOTAL_BYTES)} limit; split it")
    for i in infos:
        if i.file_size > _RATIO_FLOOR and i.file_size > _RATIO_LIMIT * max(i.compress_size, 1):
            raise SkippedFile(f"refused as a zip bomb: a member expands {fmt_size(i.file_size)} "
                              f"from {fmt_size(i.compress_size)} (over {_RATIO_LIMIT}:1)")
    return sorted(infos, key=lambda i: i.filename)


def safe_member_path(name: str) -> str | None:
    """The member's path inside the zip (``/``-separated), or None for one that is
    absolute, names a drive or climbs out with ``..`` (never read)."""
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE_RE.match(name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, prefix: str, max_bytes: int,
            read_member: ReadMember, counts: Counter[str]) -> Imported | None:
    """One member read, or None with the reason it was not counted in ``counts``."""
    name = safe_member_path(info.filename)
    reason = _refusal(info, name, max_bytes)
    if reason is not None:
        if reason:
            counts[reason] += 1
        return None
    suffix = PurePosixPath(name).suffix.lower()
    source = prefix + name
    try:
        with archive.open(info) as fh:
            data = fh.read(max_bytes + 1)  # the declared size may lie
        if len(data) > max_bytes:
            counts["zip member too large"] += 1
            return None
        imported = read_member(decode_bytes(data), source, suffix)
    except SkippedFile as exc:
        _log.info("skipped %s: %s", source, exc)
        counts[f"zip member skipped: {_short(str(exc), source)}"] += 1
        return None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        _log.info("skipped %s: %s", source, exc)
        counts["zip member corrupt"] += 1
        return None
    except NotImplementedError:  # a compression method zipfile lacks (deflate64, …)
        counts["zip member compressed by an unsupported method"] += 1
        return None
    if not imported.posts:
        counts["zip member with no text"] += 1
    return imported


def _with_comment_members(archive: zipfile.ZipFile, imported: Imported,
                          infos: list[zipfile.ZipInfo], max_bytes: int) -> Imported:
    """A post member with its comment files, each read within the member limits."""
    files, unread = [], 0
    for info in infos:
        try:
            if _refusal(info, safe_member_path(info.filename), max_bytes) is not None:
                raise SkippedFile("refused")
            with archive.open(info) as fh:
                data = fh.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise SkippedFile("too large")
            files.append((PurePosixPath(info.filename).name, decode_bytes(data)))
        except (SkippedFile, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
            unread += 1
    return with_comments(imported, files, unread)


def _refusal(info: zipfile.ZipInfo, name: str | None, max_bytes: int) -> str | None:
    """Why a member is not read ("" for files skipped silently, as a folder walk does:
    hidden files and macOS resource forks), or None to read it."""
    if name is None:
        return "zip member with an unsafe path (absolute or ..)"
    parts = name.split("/")
    if parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
        return ""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return "zip inside the zip (not opened: unzip it)"
    if suffix not in SUPPORTED_SUFFIXES:
        return f"zip member of unsupported type {suffix}"
    if takeout_chrome(name):
        return "Google Takeout page (not a post)"
    if info.flag_bits & _ENCRYPTED:
        return "zip member encrypted (password protected)"
    if info.file_size > max_bytes:
        return "zip member too large"
    return None


def _short(reason: str, source: str) -> str:
    """A member's skip reason without its name and remedy, to count alike ones together."""
    reason = reason.removeprefix(f"{source}: ")
    reason = re.split(r";| at line \d", reason, maxsplit=1)[0].strip()
    return reason[:80]
