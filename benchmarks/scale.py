"""``python -m benchmarks.scale``: synthetic archives of 10k-1M chunks: build rate, size,
memory, search latency per mode, exact vs approximate dense recall, re-index time.

    python -m benchmarks.scale                      # 10k, 100k, 1M (about 10 minutes)
    python -m benchmarks.scale --sizes 2000 --no-real

Each size runs in its own subprocess (clean peak memory). Vectors come from the FAKE
embedder of ``benchmarks.synthetic``, so build rates exclude the model; the configured
embedder's own costs are measured after, on the real corpus (``--no-real`` skips that).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from benchmarks.common import (
    DIM,
    QUERIES,
    base_parser,
    corpus_dir,
    in_subprocess,
    note,
    parse_sizes,
    peak_rss_mb,
    run_cli,
    timed,
)
from benchmarks.synthetic import ArchiveEmbedder, SyntheticArchive, synthetic_archive

__all__ = ["COLUMNS", "ScaleResult", "format_table", "main", "real_embedding_costs",
           "run_scale", "run_size"]


@dataclass(frozen=True)
class ScaleResult:
    """One row of the table; times in seconds unless named ``_ms``."""

    chunks: int
    index_type: str
    build_s: float
    build_rate: float          # chunks/s through build (fake embedder)
    disk_mb: float
    bytes_per_chunk: float     # whole version folder on disk / chunks
    dense_bytes_per_chunk: float
    peak_rss_mb: float
    dense_p50_ms: float
    dense_p95_ms: float
    bm25_p50_ms: float
    bm25_p95_ms: float
    hybrid_p50_ms: float
    hybrid_p95_ms: float
    filtered_p50_ms: float     # hybrid, kind=post (a tenth of the chunks)
    exact_dense_p50_ms: float  # flat inner product over the same vectors
    recall_at_10: float        # the index in use vs exact; 1.0 when it is exact
    ann_build_s: float         # IVF built from the same vectors, nprobe calibrated
    ann_nprobe: int            # the calibrated nprobe (of ann_nlist lists)
    ann_nlist: int
    ann_p50_ms: float          # IVF dense search alone
    ann_recall_at_10: float    # IVF vs exact on the benchmark queries
    reindex_s: float           # build_index after one changed post


COLUMNS = tuple(f.name for f in fields(ScaleResult))


class _QueryVectors:
    """The fake embedder with query vectors computed before timing."""

    def __init__(self, embedder: ArchiveEmbedder, vectors: dict[str, np.ndarray], real=None):
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self._vectors, self._embedder, self._real = vectors, embedder, real

    def embed_query(self, text: str) -> np.ndarray:
        if self._real is not None:
            self._real.embed_query(text)  # paid for, then the matching fake vector is used
        vector = self._vectors.get(text)
        return vector if vector is not None else self._embedder.embed_query(text)


def _recall(found: list[list[int]], exact: list[list[int]]) -> float:
    return float(np.mean([len(set(a) & set(b)) / max(len(b), 1)
                          for a, b in zip(found, exact, strict=True)]))


def _searches(store, archive: SyntheticArchive, qvecs: dict, real_queries: bool) -> dict:
    """Latencies of the retriever per mode, and of hybrid filtered to posts."""
    from assistant.search.retriever import Retriever
    from assistant.settings import Settings

    settings = Settings.from_env()
    retriever = Retriever(store, archive.embedder, fusion=settings.fusion,
                          bm25_weight=settings.bm25_weight)
    real = None
    if real_queries:
        from assistant.embed.embedder import Embedder

        real = Embedder.from_settings(settings)
        real.embed_query("warm up")
    retriever.embedder = _QueryVectors(archive.embedder, qvecs, real)
    row = {}
    for mode in ("dense", "bm25", "hybrid"):
        p50, p95, _ = timed(lambda q, m=mode: retriever.search(q, k=10, mode=m),
                            archive.queries)
        row[f"{mode}_p50_ms"], row[f"{mode}_p95_ms"] = p50, p95
    row["filtered_p50_ms"] = timed(lambda q: retriever.search(q, k=10, kind="post"),
                                   archive.queries)[0]
    return row


def _dense_recall(store, archive: SyntheticArchive, qvecs: dict, settings) -> dict:
    """The index in use and an IVF built from the same vectors, each against exact search."""
    from assistant.index.dense import DenseIndex, DenseSpec, choose_spec

    queries, vectors, ids = archive.queries, archive.vectors, archive.ids
    approx = [[h for h, _ in store.dense.search(qvecs[q], 10)] for q in queries]
    exact_index = DenseIndex.create(DenseSpec("flat"), DIM)
    exact_index.add(vectors, ids)
    ex50, _, exact = timed(lambda q: [i for i, _ in exact_index.search(qvecs[q], 10)], queries)
    t = time.perf_counter()
    ann = DenseIndex.create(choose_spec(replace(settings, index_type="ivf"), len(ids)), DIM)
    for start in range(0, len(ids), 50_000):
        ann.add(vectors[start:start + 50_000], ids[start:start + 50_000])
    ann.finish()
    ann.calibrate()
    ann_build = time.perf_counter() - t
    ann50, _, ann_found = timed(
        lambda q, index=ann: [i for i, _ in index.search(qvecs[q], 10)], queries)
    return {"exact_dense_p50_ms": ex50, "recall_at_10": _recall(approx, exact),
            "ann_build_s": ann_build, "ann_nprobe": int(ann.spec.nprobe),
            "ann_nlist": int(ann.spec.nlist), "ann_p50_ms": ann50,
            "ann_recall_at_10": _recall(ann_found, exact)}


def _reindex(root: Path, archive: SyntheticArchive, settings) -> float:
    """Seconds of ``build_index`` after one post's file gained a sentence."""
    from assistant.index import build_index
    from assistant.text import count_tokens

    count_tokens("warm")  # tiktoken's table loads once per process (0.6 s), as in the app
    changed = root / "corpus" / archive.file_rows[len(archive.file_rows) // 2][0]
    changed.write_text(changed.read_text() + "\nA new sentence about the probation union.\n")
    t = time.perf_counter()
    build_index(root / "corpus", root / "index", settings=settings, embedder=archive.embedder)
    return time.perf_counter() - t


def run_size(n: int, corpus: Path | str, settings=None, real_queries: bool = False
             ) -> ScaleResult:
    """Measure one size in this process (``run_scale`` calls it in a subprocess per size).

    ``real_queries``: every timed search also embeds its query with the configured model
    (the vector used is still the fake one, which matches the fake archive), so latencies
    are end to end.
    """
    from assistant.index import IndexStore, build_from_chunks
    from assistant.settings import Settings

    settings = settings or Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        root = Path(tmp)
        chunks, archive = synthetic_archive(n, Path(corpus), root / "corpus")
        settings = replace(settings, corpus_dir=root / "corpus", index_dir=root / "index",
                           embedding_model=archive.embedder.model_id)
        t = time.perf_counter()
        build_from_chunks(chunks, archive.file_rows, root / "index", settings=settings,
                          embedder=archive.embedder)
        build_s = time.perf_counter() - t
        del chunks
        store = IndexStore.open(root / "index")
        stats = store.stats()
        disk = stats["index_bytes"]
        qvecs = {q: archive.embedder.embed_query(q) for q in archive.queries}
        row = {**_searches(store, archive, qvecs, real_queries),
               **_dense_recall(store, archive, qvecs, settings)}
        row["reindex_s"] = _reindex(root, archive, settings)
        return ScaleResult(
            chunks=n, index_type=stats["dense_index"], build_s=build_s,
            build_rate=n / build_s, disk_mb=disk / 1e6, bytes_per_chunk=disk / n,
            dense_bytes_per_chunk=store.manifest.file_bytes.get("dense.faiss", 0) / n,
            peak_rss_mb=peak_rss_mb(), **row)


def real_embedding_costs(corpus: Path | str, settings=None) -> dict[str, float]:
    """Ingestion rate and query-embedding time of the configured embedder on the real corpus."""
    from assistant.embed.embedder import Embedder
    from assistant.index import build_index
    from assistant.settings import Settings

    settings = settings or Settings.from_env()
    embedder = Embedder.from_settings(settings)
    embedder.embed_query("warm up")  # load the model outside the timings
    with tempfile.TemporaryDirectory(prefix="bench-real-") as tmp:
        t = time.perf_counter()
        report = build_index(corpus, Path(tmp) / "index", settings=settings,
                             embedder=embedder)
        seconds = time.perf_counter() - t
    p50, p95, _ = timed(embedder.embed_query,
                        [f"what did the union say about pay {i}" for i in range(30)])
    return {"model": embedder.model_id, "chunks": report.chunks_total,
            "rate": report.chunks_total / seconds, "query_p50_ms": p50, "query_p95_ms": p95}


def run_scale(sizes: list[int], corpus: Path, real: bool = True
              ) -> tuple[list[ScaleResult], dict | None]:
    """Each size in a fresh subprocess, then the real embedder's costs."""
    rows = []
    for n in sizes:
        note(f"# measuring {n} chunks …")
        rows.append(ScaleResult(**in_subprocess(run_size, n, corpus, what=f"{n} chunks")))
    return rows, (real_embedding_costs(corpus) if real else None)


_HEADERS = {
    "chunks": "chunks", "index_type": "dense index", "build_s": "build s",
    "build_rate": "chunks/s", "disk_mb": "disk MB", "bytes_per_chunk": "B/chunk",
    "dense_bytes_per_chunk": "dense B/chunk", "peak_rss_mb": "peak RSS MB",
    "dense_p50_ms": "dense p50", "dense_p95_ms": "dense p95", "bm25_p50_ms": "bm25 p50",
    "bm25_p95_ms": "bm25 p95", "hybrid_p50_ms": "hybrid p50", "hybrid_p95_ms": "hybrid p95",
    "filtered_p50_ms": "filtered p50", "exact_dense_p50_ms": "exact dense p50",
    "recall_at_10": "recall@10", "ann_build_s": "ivf build s", "ann_nprobe": "ivf nprobe",
    "ann_nlist": "ivf nlist", "ann_p50_ms": "ivf p50", "ann_recall_at_10": "ivf recall@10",
    "reindex_s": "reindex s",
}


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 1 else f"{value:.1f}" if value < 1000 \
            else f"{value:.0f}"
    return str(value)


def format_table(rows: list[ScaleResult], real: dict | None = None) -> str:
    """One Markdown table (latencies in ms, without query embedding) and its footnotes."""
    lines = ["| " + " | ".join(_HEADERS[c] for c in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(getattr(r, c)) for c in COLUMNS) + " |" for r in rows]
    lines.append("")
    lines.append("Synthetic archives (corpus vocabulary, topic-grouped); vectors from a FAKE "
                 "embedder (precomputed random projections, 384-d), so build rates exclude "
                 "the model. Latencies in ms at k=10, excluding query embedding; "
                 f"{QUERIES} queries each. Re-index: one post edited, `build_index` again in the "
                 "same process (tokenizer loaded, as in the chat app), fsync included.")
    if real:
        lines.append(f"Real embedder {real['model']}: ingestion {real['rate']:.0f} chunks/s "
                     f"on the shipped corpus ({real['chunks']} chunks); query embedding "
                     f"p50 {real['query_p50_ms']:.1f} ms, p95 {real['query_p95_ms']:.1f} ms "
                     "(add it to the latencies above for end-to-end search).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("benchmarks.scale", "Synthetic archives of 10k-1M chunks (FAKE "
                         "vectors): build, size, memory, search latency and recall.")
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated chunk counts (default 10000,100000,1000000)")
    parser.add_argument("--no-real", action="store_true",
                        help="skip measuring the configured embedder on the real corpus")
    args = parser.parse_args(argv)

    def body() -> int:
        rows, real = run_scale(parse_sizes(args.sizes), corpus_dir(args), real=not args.no_real)
        print(json.dumps({"rows": [r.__dict__ for r in rows], "real_embedder": real}, indent=2)
              if args.json else format_table(rows, real))
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
