"""Malformed uploads through the page: files sent as the browser sends them (``POST
/gradio_api/upload``, then the Archive tab's "Add and re-index" joined on the queue), one
probe per re-index, each judged by the tab's per-file report.

Empty, blank, binary and disguised files (a PNG named ``.txt``, a zip named ``.md``, a
program named ``.htm``), a zip bomb and a zip of ``../`` paths, unsupported types, a file
over the size limit, badly encoded text, hostile names (``../``, backslashes, NUL, 300
characters, ``.env``, HTML), many files at once, and file references that were never
uploaded (``/etc/passwd``, a corpus file). A refusal must give its reason; a file taken
must land under ``corpus/uploads`` and be indexed, never skipped later. Last, the posts
indexed before must still be found and no file may have appeared outside
``corpus/uploads``. Part of ``benchmarks.malformed``.
"""

from __future__ import annotations

import html
import io
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.faults import POSTS
from benchmarks.malformed_page import (
    CACHE,
    UPLOAD_LIMIT_MB,
    PageSession,
    call_result,
    error_outcome,
    reindex,
    search_call,
)
from benchmarks.outcomes import Outcome, attempt, classify, is_clear

__all__ = ["DOOR", "Upload", "judge_upload", "parse_report", "run_uploads", "upload_probes"]

DOOR = "uploads"


@dataclass(frozen=True)
class Upload:
    """Files uploaded together and re-indexed once; or (``path``) a file reference sent to
    the re-index as is, never uploaded."""

    label: str
    files: tuple[tuple[str, bytes], ...] = ()
    path: str = ""
    accepted: str = ""  # why taking the files is right, when it is

    @property
    def count(self) -> int:
        return len(self.files) or 1


def _post(n: int, title: str) -> str:
    return f"Friday {n} March 2014\n\n{title}\n\nA short post about {title.lower()} ({n}).\n"


def _zip(members: dict[str, str | bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (members or {"post.txt": _post(1, "Zipped Post")}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


_CUT = "the name is cut to its last part and the file saved under uploads/"
_NAMED = "characters outside [A-Za-z0-9._-] become _ in the saved name"


def upload_probes(settings, limit_mb: float, many: int) -> tuple[Upload, ...]:
    """The probes for a page whose upload limit is ``limit_mb``; ``many`` files at once."""
    def one(label: str, name: str, data: bytes, why: str = "") -> Upload:
        return Upload(label, ((name, data),), accepted=why)

    over = b"pay " * int(limit_mb * 1024 * 1024 / 4 + 1024)
    return (
        one("empty file", "empty.txt", b""),
        one("whitespace only", "blank.md", b"  \n\n\t \n"),
        one("binary bytes named .txt", "data.txt", bytes(range(256)) * 8),
        one("a PNG renamed .txt", "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40),
        one("a zip", "posts.zip", _zip(),
            "a zip of posts is stored as the zip and read in place (ingest.archives)"),
        one("a zip bomb", "bomb.zip", _zip({"bomb.txt": b"pay " * (1024 * 1024)})),
        one("a zip of ../ and absolute paths", "evil.zip",
            _zip({"../evil.txt": _post(10, "Evil"), "/etc/evil.txt": _post(11, "Evil")})),
        one("a zip renamed .md", "posts.md", _zip()),
        one("a program renamed .htm", "setup.htm", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(400)),
        one("a PDF", "paper.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
        one(f"over the {limit_mb:g} MB limit", "big.txt", over),
        one("latin-1 text", "latin.txt", _post(2, "Caf\xe9 cr\xe8me").encode("latin-1"),
            "an 8-bit legacy file is read as cp1252, as every build reads it"),
        one("UTF-8 with stray bytes", "stray.txt",
            _post(3, "Stray Bytes").encode() + b"caf\xc3\xa9 \xff\xfe end\n",
            "stray bytes become U+FFFD, as every build reads them"),
        one("UTF-16 with its BOM", "wide.txt", _post(4, "Wide Text").encode("utf-16"),
            "a UTF-16 file with its byte-order mark is decoded, as builds decode it"),
        one("name ../../../escape.txt", "../../../escape.txt", _post(5, "Escape Hatch").encode(),
            _CUT),
        one("name ..\\..\\windows.txt", "..\\..\\windows.txt", _post(6, "Windows Path").encode(),
            _CUT),
        one("name with a NUL", "nul\x00name.txt", _post(7, "Null Name").encode(), _NAMED),
        one("name of 300 characters", "n" * 300 + ".txt", _post(8, "Long Name").encode(),
            "the saved name is cut to 80 characters"),
        one("name .env", ".env", b"OPENAI_API_KEY=sk-not-a-key\n"),
        one("name '...'", "...", _post(9, "Dots Only").encode()),
        one("name <script>.html", "<script>alert(1)</script>.html",
            b"<html><body><h1>Script Name</h1><p>A post with a hostile name.</p></body></html>",
            _NAMED + "; the page escapes the names it shows"),
        Upload(f"{many} files at once", tuple(
            (f"many-{i:03}.md", f"# Note {i}\n\nNote {i} mentions pelican {i}.\n".encode())
            for i in range(many)), accepted=f"{many} files in one upload are each saved"),
        Upload("a file reference to /etc/passwd", path="/etc/passwd"),
        Upload("a file reference to a corpus post",
               path=str(Path(settings.corpus_dir).resolve() / "ballot.txt")),
    )


_ROW = re.compile(r'<tr><td>(.*?)</td><td class="st-[^"]*">(.*?)</td><td>(.*?)</td></tr>')


def parse_report(report: str) -> list[tuple[str, str, str]]:
    """``(file, result, details)`` rows of the Archive tab's report (``ui.reports``)."""
    return [tuple(html.unescape(cell) for cell in row) for row in _ROW.findall(report)]


def judge_upload(upload: Upload, rows: list[tuple[str, str, str]]) -> tuple[str, str, str]:
    """``(outcome, status, message)`` of one upload's report rows: every file refused with
    a clear reason, or every file saved under ``uploads/`` (accepted)."""
    results = {result for _, result, _ in rows}
    if not rows:
        return "unclear", "-", "the report lists no file"
    if results & {"removed", "skipped"}:
        kind = "damage" if "removed" in results else "unclear"
        return kind, "/".join(sorted(results)), "; ".join(f"{f}: {r} {d}" for f, r, d in rows)
    if results == {"rejected"}:
        reasons = [d for _, _, d in rows]
        return ("clear" if all(map(is_clear, reasons)) else "unclear"), "rejected", reasons[0]
    saved = [label.rpartition(" → ")[2] for label, result, _ in rows
             if result in ("added", "updated")]
    if any(not s.startswith("uploads/") for s in saved):
        return "damage", "saved", "saved outside uploads/: " + ", ".join(saved)
    if len(saved) != len(rows) or len(saved) != upload.count:
        return "unclear", "mixed", f"{len(saved)} of {upload.count} saved: {sorted(results)}"
    shown = ", ".join(saved[:2]) + (f" and {len(saved) - 2} more" if len(saved) > 2 else "")
    return "accepted", f"saved {len(saved)}", shown


def _files(http: httpx.Client, upload: Upload) -> list[dict] | tuple[str, str, str]:
    """The re-index's file values: uploaded first, as the browser does (or the refusal)."""
    if upload.path:
        return [{"path": upload.path, "orig_name": Path(upload.path).name,
                 "meta": {"_type": "gradio.FileData"}}]
    sent = http.post("/gradio_api/upload",
                     files=[("files", (name, data)) for name, data in upload.files])
    if sent.status_code != 200:
        kind, message = classify(sent)
        return kind, str(sent.status_code), message
    paths = sent.json()
    if len(paths) != len(upload.files):
        return "unclear", "200", f"{len(paths)} paths came back for {len(upload.files)} files"
    return [{"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
            for path, (name, _) in zip(paths, upload.files, strict=True)]


def _upload_one(page: PageSession, upload: Upload) -> tuple[str, str, str]:
    files = _files(page.http, upload)
    if isinstance(files, tuple):
        return files
    event, data = reindex(page.http, page.fn_index, files)
    if event == "error":
        kind, message = error_outcome(data)
        return kind, "error event", message
    if event != "complete":
        return "hang", "-", "no result"
    report = str((data or [""])[0])
    if 'class="error-box"' in report:
        message = html.unescape(re.sub(r"<[^>]+>", " ", report.split("</div>")[0])).strip()
        return ("clear" if is_clear(message) else "unclear"), "error box", message
    return judge_upload(upload, parse_report(report))


def _run_upload(page: PageSession, upload: Upload) -> Outcome:
    return attempt(DOOR, upload.label, upload.accepted, lambda: _upload_one(page, upload))


def _tree(root: Path, skip: tuple[Path, ...]) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if not any(p == s or s in p.parents for s in skip)}


def _escaped(settings, probes: tuple[Upload, ...]) -> list[str]:
    """Files of ``probes`` found where their names point outside ``corpus/uploads``."""
    uploads = Path(settings.corpus_dir) / "uploads"
    names = [name for upload in probes for name, _ in upload.files if "/" in name]
    return [f"written outside the corpus: {(uploads / n).resolve()}" for n in names
            if (uploads / n).resolve().exists()]


def _nothing_lost(page: PageSession, settings, before: set[str], where) -> Outcome:
    """The posts indexed before the uploads are still found, unchanged; no file appeared
    outside ``corpus/uploads`` (the index and Gradio's cache aside)."""
    start = time.perf_counter()
    corpus = Path(settings.corpus_dir)
    problems = [f"{name} changed" for name, text in POSTS.items()
                if (corpus / name).read_text() != text]
    problems += [f"written outside uploads/: {p}" for p in sorted(_tree(*where) - before)]
    call = search_call("the indexed posts after the uploads", query="Napo ballot pay freeze")
    kind, _, message = call_result(page.http, call)
    if kind != "accepted" or "ballot.txt" not in message:
        problems.append(f"the search for an indexed post found: {message[:120]}")
    why = "the posts indexed before the uploads are still found; no file outside uploads/"
    return Outcome(DOOR, call.label, "damage" if problems else "accepted",
                   "lost" if problems else "found", "; ".join(problems) or "ballot.txt found",
                   time.perf_counter() - start, "" if problems else why)


def run_uploads(page: PageSession, settings, folder: Path, many: int = 20) -> list[Outcome]:
    """Every upload probe on the running ``page``, then the nothing-lost check. ``folder``
    holds the corpus, the index and Gradio's cache (``malformed_page.open_page``)."""
    where = (folder, (Path(settings.corpus_dir) / "uploads", Path(settings.index_dir),
                      folder / CACHE))
    before = _tree(*where)
    probes = upload_probes(settings, float(UPLOAD_LIMIT_MB), many)
    outcomes = [_run_upload(page, upload) for upload in probes]
    lost = _nothing_lost(page, settings, before, where)
    escaped = _escaped(settings, probes)
    if escaped:
        lost = Outcome(DOOR, lost.label, "damage", "escaped", "; ".join(escaped), lost.seconds)
    return [*outcomes, lost]
