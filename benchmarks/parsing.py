"""Benchmark a build's parsing: chunks/s of ``build_index`` by number of parse workers.

    python -m benchmarks.parsing                     # the corpus copied 40 times, 1 and 2 workers
    python -m benchmarks.parsing --copies 100 --workers 1,2,4,8

The corpus files are copied under new names (so every chunk is new) and indexed with a FAKE
embedder (a random projection of the words), so the rate is parsing, chunking and the
index, not the model: what bounds a build once embedding is fast (on a GPU). A build parses
each new file twice (planning, then writing), so this is where worker processes pay off.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from assistant.embed.fake import FakeEmbedder
from assistant.index import build_index
from assistant.settings import Settings
from assistant.text import count_tokens
from benchmarks.common import REPO
from benchmarks.synthetic import FAKE_MODEL_ID, random_lexicon, vocabulary

__all__ = ["main"]


def _copy_corpus(source: Path, corpus: Path, copies: int) -> None:
    corpus.mkdir()
    for k in range(copies):
        for path in sorted(p for p in source.iterdir() if p.is_file()):
            shutil.copyfile(path, corpus / f"{k:03d}_{path.name}")


def _best_build(corpus: Path, tmp: Path, workers: int, repeat: int, embedder) -> tuple:
    """``(seconds of the fastest of repeat builds, chunks)`` with ``workers`` parse workers."""
    settings = Settings.from_env({"ASSISTANT_PARSE_WORKERS": str(workers)})
    best, chunks = float("inf"), 0
    for attempt in range(repeat):
        index = tmp / f"index-{workers}-{attempt}"
        started = time.perf_counter()
        report = build_index(corpus, index, settings=settings, embedder=embedder)
        best = min(best, time.perf_counter() - started)
        chunks = report.chunks_total
        shutil.rmtree(index)
    return best, chunks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.parsing",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=2, help="builds per setting (best kept)")
    args = parser.parse_args(argv)
    embedder = FakeEmbedder(random_lexicon(vocabulary(args.corpus)), model_id=FAKE_MODEL_ID,
                            record=False)
    count_tokens("warm up")  # tiktoken's table, loaded once per process as in the app
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        corpus = Path(tmp) / "corpus"
        _copy_corpus(args.corpus, corpus, args.copies)
        files = len(list(corpus.iterdir()))
        for workers in [int(w) for w in args.workers.split(",")]:
            best, chunks = _best_build(corpus, Path(tmp), workers, args.repeat, embedder)
            rows.append((workers, files, chunks, best))
    print("| parse workers | files | chunks | build s | chunks/s |")
    print("|---|---|---|---|---|")
    for workers, files, chunks, seconds in rows:
        print(f"| {workers} | {files} | {chunks} | {seconds:.2f} | {chunks / seconds:.0f} |")
    print("\nFAKE embedder (random projection): the rate excludes the model.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
