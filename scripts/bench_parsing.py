"""Benchmark a build's parsing: chunks/s of ``build_index`` by number of parse workers.

    python scripts/bench_parsing.py                  # the corpus copied 40 times, 1 and 2 workers
    python scripts/bench_parsing.py --copies 100 --workers 1,2,4,8

The corpus files are copied under new names (so every chunk is new) and indexed with a FAKE
embedder (a random projection of the words), so the rate is parsing, chunking and the
index, not the model: what bounds a build once embedding is fast (on a GPU). A build parses
each new file twice (planning, then writing), so this is where worker processes pay off.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.bench import DIM, FakeEmbedder, _vocabulary  # noqa: E402
from assistant.index.build import build_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.text import count_tokens  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=2, help="builds per setting (best kept)")
    args = parser.parse_args()
    vocab = _vocabulary(args.corpus)
    projection = np.random.default_rng(0).standard_normal((len(vocab), DIM)).astype(np.float32)
    embedder = FakeEmbedder(projection, {w: i for i, w in enumerate(vocab)})
    count_tokens("warm up")  # tiktoken's table, loaded once per process as in the app
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for k in range(args.copies):
            for path in sorted(p for p in args.corpus.iterdir() if p.is_file()):
                shutil.copyfile(path, corpus / f"{k:03d}_{path.name}")
        for workers in [int(w) for w in args.workers.split(",")]:
            settings = Settings.from_env({"ASSISTANT_PARSE_WORKERS": str(workers)})
            best, chunks = float("inf"), 0
            for attempt in range(args.repeat):
                index = Path(tmp) / f"index-{workers}-{attempt}"
                started = time.perf_counter()
                report = build_index(corpus, index, settings=settings, embedder=embedder)
                best = min(best, time.perf_counter() - started)
                chunks = report.chunks_total
                shutil.rmtree(index)
            rows.append((workers, len(list(corpus.iterdir())), chunks, best))
    print("| parse workers | files | chunks | build s | chunks/s |")
    print("|---|---|---|---|---|")
    for workers, files, chunks, seconds in rows:
        print(f"| {workers} | {files} | {chunks} | {seconds:.2f} | {chunks / seconds:.0f} |")
    print("\nFAKE embedder (random projection): the rate excludes the model.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
