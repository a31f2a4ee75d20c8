"""``python -m benchmarks.imports``: import time and peak memory for the real blog exports.

    python -m benchmarks.imports                    # every export in ../shared/real-exports
    python -m benchmarks.imports --only blogger-arborlodge --embedder fake

Each export folder is indexed from nothing in a fresh interpreter, twice: with the FAKE
embedder (reading, threading, chunking and writing the index: the importer's own cost) and
with the configured embedder (what a user waits for). Printed per export: files, posts,
comments kept, what was left out, chunks, seconds and the process's peak resident memory
(the interpreter and libraries included; ``baseline`` is the process before the build).
The exports are third-party: they are read where they lie, never copied.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import REPO, base_parser, in_subprocess, note, peak_rss_mb, run_cli

__all__ = ["ImportResult", "format_table", "main", "run_import"]

EXPORTS = REPO.parent / "shared" / "real-exports"


@dataclass(frozen=True)
class ImportResult:
    export: str
    embedder: str
    files: int
    posts: int
    comments: int
    left_out: str
    chunks: int
    seconds: float
    baseline_rss_mb: float
    peak_rss_mb: float


def run_import(folder: str, embedder: str) -> ImportResult:
    """Index ``folder`` into a temporary index with ``embedder`` ("fake" or "model")."""
    from assistant.embed.embedder import Embedder
    from assistant.embed.fake import FakeEmbedder
    from assistant.index import build_index
    from assistant.settings import Settings

    settings = Settings.from_env()
    model = FakeEmbedder() if embedder == "fake" else Embedder.from_settings(settings)
    if embedder != "fake":
        model.embed_documents(["warm up"])  # the model's load is not the import's
    baseline = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = build_index(Path(folder), Path(tmp) / "index", settings=settings,
                             embedder=model)
        seconds = time.perf_counter() - start
    indexed = [f for f in report.files if f.status == "added"]
    left: dict[str, int] = {}
    for f in indexed:
        for item in filter(None, f.left_out.split(";")):
            reason, _, n = item.rpartition("=")
            left[reason] = left.get(reason, 0) + int(n)
    return ImportResult(Path(folder).name, embedder, len(report.files),
                        sum(f.posts for f in indexed), sum(f.comments for f in indexed),
                        ", ".join(f"{k} {v}" for k, v in sorted(left.items())),
                        report.chunks_total, round(seconds, 2), round(baseline, 1),
                        round(peak_rss_mb(), 1))


def format_table(rows: list[dict]) -> str:
    head = (f"{'export':<24} {'embedder':<8} {'files':>5} {'posts':>5} {'comments':>8} "
            f"{'chunks':>6} {'seconds':>7} {'base MB':>7} {'peak MB':>7}  left out")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['export']:<24} {r['embedder']:<8} {r['files']:>5} {r['posts']:>5} "
                     f"{r['comments']:>8} {r['chunks']:>6} {r['seconds']:>7.2f} "
                     f"{r['baseline_rss_mb']:>7.0f} {r['peak_rss_mb']:>7.0f}  {r['left_out']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("benchmarks.imports", __doc__.split("\n")[0])
    parser.add_argument("--exports", type=Path, default=EXPORTS,
                        help="folder of export folders (default ../shared/real-exports)")
    parser.add_argument("--only", action="append", help="an export folder's name (repeatable)")
    parser.add_argument("--embedder", choices=("fake", "model", "both"), default="both")
    args = parser.parse_args(argv)

    def body() -> int:
        if not args.exports.is_dir():
            raise FileNotFoundError(f"no exports folder at {args.exports}")
        folders = sorted(p for p in args.exports.iterdir() if p.is_dir()
                         and (not args.only or p.name in args.only))
        kinds = ("fake", "model") if args.embedder == "both" else (args.embedder,)
        rows = []
        for folder in folders:
            for kind in kinds:
                note(f"importing {folder.name} ({kind} embedder) …")
                rows.append(in_subprocess(run_import, str(folder), kind,
                                          what=f"{folder.name} ({kind})"))
        print(json.dumps(rows, indent=2) if args.json else format_table(rows))
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
