"""``python -m benchmarks.ingest``: memory of streamed builds of synthetic archives, against
what the archive's texts weigh (does a build hold the archive?).

    python -m benchmarks.ingest                     # 100k and 1M chunks (about 8 minutes)
    python -m benchmarks.ingest --sizes 3000

Chunks are produced file by file (``benchmarks.synthetic.LazyArchive``) and embedded by the
FAKE embedder, so rates are the pipeline's, not the model's. Each size in its own subprocess.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.common import (
    base_parser,
    corpus_dir,
    in_subprocess,
    note,
    parse_sizes,
    peak_rss_mb,
    run_cli,
)
from benchmarks.synthetic import FAKE_MODEL_ID, LazyArchive, random_lexicon, vocabulary

__all__ = ["IngestResult", "format_ingest_table", "main", "run_ingest", "run_ingest_sizes"]


@dataclass(frozen=True)
class IngestResult:
    """One streamed build: memory while indexing, against what the archive's texts weigh."""

    chunks: int
    index_type: str
    build_s: float
    build_rate: float        # chunks/s (fake embedder: the pipeline, not the model)
    baseline_rss_mb: float   # the process before the build (interpreter, libraries)
    peak_rss_mb: float       # the process's peak during the build
    index_mb: float          # the published version on disk
    text_mb: float           # the chunk texts alone (what holding them all would add)


def run_ingest(n: int, corpus: Path | str, settings=None) -> IngestResult:
    """Index ``n`` synthetic chunks through ``build_from_chunks`` in this process, with the
    chunks produced file by file (``run_ingest_sizes`` calls it in a subprocess per size)."""
    from assistant.embed.fake import FakeEmbedder
    from assistant.index import IndexStore, build_from_chunks
    from assistant.settings import Settings

    vocab = vocabulary(corpus)
    archive = LazyArchive(n, vocab)
    embedder = FakeEmbedder(random_lexicon(vocab, seed=1), model_id=FAKE_MODEL_ID, record=False)
    rows = archive.rows()
    import faiss  # noqa: F401  (libraries in the baseline, not in the growth)

    from assistant.index.lexical import Tokenizer

    Tokenizer()("warm up")
    text_bytes = sum(len(t.encode()) for k in range(0, archive.files, 97)
                     for t in archive.texts(k)) * 97
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = replace(settings or Settings.from_env(), index_dir=Path(tmp) / "index",
                           embedding_model=embedder.model_id)
        baseline = peak_rss_mb()
        t = time.perf_counter()
        build_from_chunks(archive.chunks_of, rows, Path(tmp) / "index", settings=settings,
                          embedder=embedder)
        seconds = time.perf_counter() - t
        peak = peak_rss_mb()
        store = IndexStore.open(Path(tmp) / "index")
        stats = store.stats()
        store.close()
    return IngestResult(chunks=n, index_type=stats["dense_index"], build_s=seconds,
                        build_rate=n / seconds, baseline_rss_mb=baseline, peak_rss_mb=peak,
                        index_mb=stats["index_bytes"] / 1e6, text_mb=text_bytes / 1e6)


def run_ingest_sizes(sizes: list[int], corpus: Path) -> list[IngestResult]:
    rows = []
    for n in sizes:
        note(f"# indexing {n} chunks …")
        rows.append(IngestResult(**in_subprocess(run_ingest, n, corpus,
                                                 what=f"ingesting {n} chunks")))
    return rows


def format_ingest_table(rows: list[IngestResult]) -> str:
    lines = ["| chunks | index | build s | chunks/s | RSS before MB | peak RSS MB | "
             "growth B/chunk | index MB | chunk texts MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        growth = (r.peak_rss_mb - r.baseline_rss_mb) * 1e6 / r.chunks
        lines.append(f"| {r.chunks} | {r.index_type} | {r.build_s:.1f} | {r.build_rate:.0f} | "
                     f"{r.baseline_rss_mb:.0f} | {r.peak_rss_mb:.0f} | {growth:.0f} | "
                     f"{r.index_mb:.1f} | {r.text_mb:.1f} |")
    lines += ["", "Streamed builds of synthetic archives (chunks produced file by file; vectors "
              "from a FAKE embedder, so rates exclude the model). Peak RSS is the whole "
              "process's; growth is (peak - before) per chunk."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("benchmarks.ingest", "Memory of streamed builds of synthetic "
                         "archives (FAKE vectors) against the size of their texts.")
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated chunk counts (default 100000,1000000)")
    args = parser.parse_args(argv)

    def body() -> int:
        rows = run_ingest_sizes(parse_sizes(args.sizes), corpus_dir(args))
        print(json.dumps([r.__dict__ for r in rows], indent=2) if args.json
              else format_ingest_table(rows))
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
