"""``python -m benchmarks.corpus``: the shipped corpus end to end with the configured embedder
(build, warm search including query embedding, index size, peak memory, re-index after one
edited post), next to a synthetic archive of 10,000 chunks searched with real query
embeddings (``--synthetic 0`` leaves it out).

Each archive is measured in its own subprocess (clean peak memory).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    QUERIES,
    base_parser,
    corpus_dir,
    in_subprocess,
    note,
    peak_rss_mb,
    run_cli,
    timed,
)
from benchmarks.scale import run_size

__all__ = ["CorpusResult", "corpus_queries", "format_corpus_table", "main", "measure_corpus",
           "measure_synthetic", "run_corpus"]


@dataclass(frozen=True)
class CorpusResult:
    """One archive measured end to end: searches include embedding the query."""

    archive: str
    chunks: int
    build_rate: float        # chunks/s through a fresh build_index
    search_p50_ms: float     # hybrid, k=5, warm
    search_p95_ms: float
    disk_mb: float
    peak_rss_mb: float
    reindex_s: float         # build_index after one edited post
    embedder: str


def corpus_queries(store) -> list[str]:
    """Questions made from the archive's post titles (a reader's wording, not the text's)."""
    forms = ("what did readers say about {}", "{}", "why did the blog write about {}")
    return [forms[i % len(forms)].format(t) for i, t in enumerate(store.titles())][:QUERIES]


def _time_search(retriever, store) -> tuple[float, float]:
    """p50 and p95 ms of warm hybrid searches (k=5) for the titles' questions, three rounds."""
    queries = corpus_queries(store)
    for q in queries[:5]:
        retriever.search(q, k=5)  # warm caches
    p50, p95, _ = timed(lambda q: retriever.search(q, k=5), queries * 3)
    return p50, p95


def measure_corpus(corpus: Path | str) -> CorpusResult:
    """The shipped corpus (copied to a temporary folder) with the configured embedder."""
    from assistant.embed.embedder import Embedder
    from assistant.index import IndexStore, build_index
    from assistant.search.retriever import Retriever
    from assistant.settings import Settings

    settings = Settings.from_env()
    embedder = Embedder.from_settings(settings)
    embedder.embed_query("warm up")  # the model loads outside the timings
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        copy, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(corpus, copy)
        t = time.perf_counter()
        report = build_index(copy, index, settings=settings, embedder=embedder)
        build_s = time.perf_counter() - t
        store = IndexStore.open(index)
        retriever = Retriever(store, embedder, fusion=settings.fusion,
                              bm25_weight=settings.bm25_weight)
        p50, p95 = _time_search(retriever, store)
        disk = store.stats()["index_bytes"]
        edited = sorted(p for p in copy.iterdir() if p.is_file())[0]
        edited.write_text(edited.read_text("utf-8") +
                          "\nOne more reader asked what the union said about pay.\n", "utf-8")
        t = time.perf_counter()
        again = build_index(copy, index, settings=settings, embedder=embedder)
        reindex = time.perf_counter() - t
        if again.chunks_added == 0:
            raise RuntimeError("the edited post was not re-indexed")
    return CorpusResult("shipped corpus", report.chunks_total, report.chunks_total / build_s,
                        p50, p95, disk / 1e6, peak_rss_mb(), reindex, embedder.model_id)


def measure_synthetic(n: int, corpus: Path | str) -> CorpusResult:
    """A synthetic archive of ``n`` chunks, searched with real query embeddings."""
    row = run_size(n, corpus, real_queries=True)
    return CorpusResult(f"synthetic {n:,} (fake vectors)", n, row.build_rate,
                        row.hybrid_p50_ms, row.hybrid_p95_ms, row.disk_mb, row.peak_rss_mb,
                        row.reindex_s, "FAKE for chunks; real for queries")


def run_corpus(corpus: Path, synthetic: int = 10_000) -> list[CorpusResult]:
    """The shipped corpus, then a synthetic archive; each in a fresh subprocess."""
    note("# measuring the shipped corpus …")
    rows = [CorpusResult(**in_subprocess(measure_corpus, corpus, what="the shipped corpus"))]
    if synthetic:
        note(f"# measuring {synthetic} synthetic chunks …")
        rows.append(CorpusResult(**in_subprocess(measure_synthetic, synthetic, corpus,
                                                 what=f"{synthetic} synthetic chunks")))
    return rows


def format_corpus_table(rows: list[CorpusResult]) -> str:
    """One Markdown table and what it measured."""
    lines = ["| archive | chunks | build chunks/s | search p50 ms | search p95 ms | "
             "index MB | peak RSS MB | re-index one post s |", "|" + "---|" * 8]
    lines += [f"| {r.archive} | {r.chunks} | {r.build_rate:.1f} | {r.search_p50_ms:.1f} | "
              f"{r.search_p95_ms:.1f} | {r.disk_mb:.2f} | {r.peak_rss_mb:.0f} | "
              f"{r.reindex_s:.2f} |" for r in rows]
    lines += ["", f"Embedder: {rows[0].embedder}. Search: hybrid, k=5, warm, end to end "
              "(query embedding + dense + BM25 + fusion + passage lookup). Synthetic rows: "
              "chunk vectors from a FAKE embedder, so their build rate excludes the model; "
              "their searches do embed each query with the real model."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("benchmarks.corpus", "Build, size, memory and search speed of the "
                         "shipped corpus, and of a synthetic archive searched with real queries.")
    parser.add_argument("--synthetic", type=int, default=10_000,
                        help="chunks of the synthetic archive (default 10000; 0: none)")
    args = parser.parse_args(argv)

    def body() -> int:
        if 0 < args.synthetic < 100:
            raise ValueError(f"--synthetic wants 100 chunks or more (or 0), got {args.synthetic}")
        rows = run_corpus(corpus_dir(args), synthetic=args.synthetic)
        print(json.dumps([r.__dict__ for r in rows], indent=2) if args.json
              else format_corpus_table(rows))
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
