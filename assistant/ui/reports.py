"""The Archive tab's panels: what the index holds, and what an upload and re-index did per
file. Pure functions over the index's stats and the ``BuildReport``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.ui.render import esc
from assistant.ui.uploads import UploadResult

__all__ = ["report_html", "stats_html"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def stats_html(stats: Mapping[str, Any] | None, error: str | None = None) -> str:
    """Counts as tiles and the build's details as a table (``Retriever.stats()``)."""
    if stats is None:
        return f'<div class="error-box">Could not read the index: {esc(error)}</div>'
    built = str(stats.get("built_at", ""))[:19].replace("T", " ")
    cells = [("posts", stats.get("posts")), ("reader comments", stats.get("comments")),
             ("passages (chunks)", stats.get("chunks")),
             ("files", stats.get("files_indexed"))]
    grid = "".join(f'<div class="stat"><div class="v">{esc(v)}</div>'
                   f'<div class="k">{esc(k)}</div></div>' for k, v in cells)
    rows = [("Built at", f"{built} UTC" if built else "unknown"),
            ("Embedding model", f"{stats.get('embedding_model')} "
                                f"({stats.get('embedding_dim')} dimensions)"),
            ("Files skipped", stats.get("files_skipped")),
            *([("Comment files read with their posts", stats["files_attached"])]
              if stats.get("files_attached") else []),
            ("Index size", f"{int(stats.get('index_bytes') or 0) / 1e6:.1f} MB")]
    rows += [(f"Left out: {reason}", n) for reason, n in (stats.get("left_out") or {}).items()]
    rows += [(f"Files skipped: {reason}", n)
             for reason, n in (stats.get("skipped_by_reason") or {}).items()]
    table = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<div class="stat-grid">{grid}</div><table>{table}</table>{_sources_html(stats)}'


_SOURCES_SHOWN = 25  # the biggest sources; the rest are summed in one row


def _sources_html(stats: Mapping[str, Any]) -> str:
    """Per source: posts and comments kept, and what it left out by reason."""
    indexed = sorted((s for s in stats.get("sources") or [] if s.get("status") == "indexed"),
                     key=lambda s: (-int(s.get("posts") or 0), str(s.get("source"))))
    if not indexed:
        return ""
    rows = [(s["source"], s.get("posts", 0), s.get("comments", 0),
             ", ".join(f"{k} {v}" for k, v in (s.get("left_out") or {}).items()))
            for s in indexed[:_SOURCES_SHOWN]]
    rest = indexed[_SOURCES_SHOWN:]
    if rest:
        rows.append((f"… {len(rest)} more sources", sum(int(s.get("posts") or 0) for s in rest),
                     sum(int(s.get("comments") or 0) for s in rest), ""))
    body = "".join(f"<tr><td>{esc(a)}</td><td>{esc(b)}</td><td>{esc(c)}</td><td>{esc(d)}</td>"
                   "</tr>" for a, b, c, d in rows)
    return ("<table class=\"sources\"><tr><th>Source</th><th>Posts</th><th>Comments</th>"
            f"<th>Left out</th></tr>{body}</table>")


def _file_rows(uploads: Sequence[UploadResult], report: Any | None) -> list[tuple[str, ...]]:
    """(file, result, details): refused uploads, then the uploaded files and every file
    that changed; unchanged and attached (comment) files are only summed up (in the
    report's summary)."""
    rows = [(u.name, "rejected", u.reason or "") for u in uploads if u.saved_as is None]
    if report is None:
        return rows
    saved = {u.saved_as: u.name for u in uploads if u.saved_as}
    files = sorted(report.files, key=lambda f: (f.source not in saved, f.status == "unchanged"))
    for f in files:
        if f.status in ("unchanged", "attached") and f.source not in saved:
            continue
        detail = f.reason or (f"{_plural(f.posts, 'post')}, {_plural(f.chunks, 'passage')}"
                              if f.posts else "")
        label = f"{saved[f.source]} → {f.source}" if f.source in saved else f.source
        rows.append((label, f.status, detail))
    return rows


def report_html(uploads: Sequence[UploadResult], report: Any | None,
                error: str | None = None) -> str:
    """What happened to each uploaded file and the index, after "Add and re-index"."""
    parts = [f'<div class="error-box">{esc(error)}</div>'] if error else []
    rows = _file_rows(uploads, report)
    if rows:
        body = "".join(f'<tr><td>{esc(a)}</td><td class="st-{esc(b)}">{esc(b)}</td>'
                       f"<td>{esc(c)}</td></tr>" for a, b, c in rows)
        parts.append(f"<table><tr><th>File</th><th>Result</th><th>Details</th></tr>{body}"
                     "</table>")
    if report is not None:
        parts.append(f"<p>{esc(report.summary())}</p>")
        parts.extend(f"<p>Note: {esc(n)}</p>" for n in report.notes)
        if not report.published:
            parts.append("<p>The index was already up to date.</p>")
    return "".join(parts) or "<p>Nothing to report.</p>"
