"""``python -m benchmarks.timeline``: "when did the archive talk about X?" on synthetic
archives of 100k and 1M chunks (FAKE vectors; the timeline reads none).

    python -m benchmarks.timeline                   # 100k and 1M chunks (about 8 minutes)
    python -m benchmarks.timeline --sizes 20000

Per size, in its own subprocess: the first call on a freshly opened index (it reads each
passage's document once per version), then p50/p95 over the benchmark's queries of the
whole archive, a query, a query with a date range and kind, and a query with an author.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

from benchmarks.common import (
    base_parser,
    corpus_dir,
    in_subprocess,
    note,
    parse_sizes,
    peak_rss_mb,
    run_cli,
    timed,
)
from benchmarks.synthetic import synthetic_archive

__all__ = ["TimelineResult", "format_table", "main", "run_size"]


@dataclass(frozen=True)
class TimelineResult:
    chunks: int
    build_s: float
    cold_ms: float           # first timeline call after opening the index
    archive_p50_ms: float    # no query: the Archive tab's chart
    archive_p95_ms: float
    query_p50_ms: float
    query_p95_ms: float
    broad_p50_ms: float      # one word of each query: many more documents match
    broad_p95_ms: float
    broad_share: float       # of documents, mean over the one-word queries
    filtered_p50_ms: float   # query + since/until + kind=comment
    filtered_p95_ms: float
    author_p50_ms: float     # query + author
    author_p95_ms: float
    matched_share: float     # of documents, mean over the queries
    peak_rss_mb: float


def run_size(n: int, corpus: Path | str) -> TimelineResult:
    """Build ``n`` synthetic chunks in a temporary folder and time ``Retriever.timeline``."""
    from assistant.index import IndexStore, build_from_chunks
    from assistant.search.retriever import Retriever
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as tmp:
        root = Path(tmp)
        chunks, archive = synthetic_archive(n, Path(corpus), root / "corpus")
        settings = replace(Settings.from_env(), corpus_dir=root / "corpus",
                           index_dir=root / "index", embedding_model=archive.embedder.model_id)
        t = time.perf_counter()
        build_from_chunks(chunks, archive.file_rows, root / "index", settings=settings,
                          embedder=archive.embedder)
        build_s = time.perf_counter() - t
        del chunks
        retriever = Retriever(IndexStore.open(root / "index"), archive.embedder)
        t = time.perf_counter()
        whole = retriever.timeline()
        cold_ms = (time.perf_counter() - t) * 1e3
        documents = whole.posts + whole.comments
        queries = archive.queries
        archive_p50, archive_p95, _ = timed(lambda _: retriever.timeline(), queries)
        query_p50, query_p95, found = timed(retriever.timeline, queries)
        broad_p50, broad_p95, wide = timed(retriever.timeline, [q.split()[0] for q in queries])
        filtered_p50, filtered_p95, _ = timed(
            lambda q: retriever.timeline(q, since="2012-01-01", until="2015-12-31",
                                         kind="comment"), queries)
        author_p50, author_p95, _ = timed(
            lambda q: retriever.timeline(q, author="reader7"), queries)
        def share(timelines):
            return sum(t.posts + t.comments for t in timelines) / len(timelines) / max(
                documents, 1)

        matched = share(found)
        return TimelineResult(n, build_s, cold_ms, archive_p50, archive_p95, query_p50,
                              query_p95, broad_p50, broad_p95, share(wide), filtered_p50,
                              filtered_p95, author_p50, author_p95, matched, peak_rss_mb())


_HEADERS = {"chunks": "chunks", "build_s": "build s", "cold_ms": "first call ms",
            "archive_p50_ms": "archive p50", "archive_p95_ms": "archive p95",
            "query_p50_ms": "query p50", "query_p95_ms": "query p95",
            "broad_p50_ms": "1-word p50", "broad_p95_ms": "1-word p95",
            "broad_share": "1-word matched",
            "filtered_p50_ms": "+dates+kind p50", "filtered_p95_ms": "+dates+kind p95",
            "author_p50_ms": "+author p50", "author_p95_ms": "+author p95",
            "matched_share": "matched", "peak_rss_mb": "peak RSS MB"}


def format_table(rows: list[TimelineResult]) -> str:
    columns = [f.name for f in fields(TimelineResult)]
    lines = ["| " + " | ".join(_HEADERS[c] for c in columns) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        cells = [f"{getattr(row, c):.3f}" if c.endswith("share") else
                 f"{getattr(row, c):.1f}" if isinstance(getattr(row, c), float) else
                 str(getattr(row, c)) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Synthetic archives (FAKE vectors, corpus vocabulary; ten passages a post, "
              "one a post body, nine comments; dated over ten years). Latencies in ms of "
              "`Retriever.timeline`; queries are four words of one topic, 1-word the first word "
              "of each. matched: share of documents a query's timeline counts, mean over "
              "the queries."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("benchmarks.timeline", "Timeline latency on synthetic archives.")
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated chunk counts (default 100000,1000000)")
    args = parser.parse_args(argv)

    def body() -> int:
        rows = []
        for n in parse_sizes(args.sizes):
            note(f"# measuring {n} chunks …")
            rows.append(TimelineResult(**in_subprocess(run_size, n, corpus_dir(args),
                                                       what=f"{n} chunks")))
        print(json.dumps([r.__dict__ for r in rows], indent=2) if args.json
              else format_table(rows))
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
