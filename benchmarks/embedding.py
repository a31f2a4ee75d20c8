"""Embedding throughput per backend and device, on synthetic 256-token passages.

    python -m benchmarks.embedding --n 256
    python -m benchmarks.embedding --n 2000 --batch-size 64 --threads 2 --corpus-chunks

Rows: torch on the CPU (fp32), onnx-int8 on the CPU, and torch on CUDA (fp16, batch 512)
when a GPU is present. ``encode`` is the end-to-end path the index uses (tokenize, sort,
pad, run, pool); ``forward`` is the model alone on batches tokenized beforehand. ``query``
is the median latency of one short query.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder, cuda_available
from benchmarks.common import REPO

__all__ = ["bench", "corpus_chunks", "main", "synthetic_passages"]

QUERIES = ["What did the union say about the pay freeze?", "probation privatisation",
           "Who commented on the ballot result?", "reader comments about the prison service"]


def corpus_text() -> str:
    from assistant.index import iter_corpus_files
    from assistant.ingest import SkippedFile, parse_file

    parts = []
    for source, path in iter_corpus_files(REPO / "corpus"):
        try:
            parts += [p.body for p in parse_file(path, source)]
        except SkippedFile:
            continue
    return "\n".join(parts)


def synthetic_passages(n: int, tokens: int = 254) -> list[str]:
    """``n`` passages of ``tokens`` wordpieces cut from the corpus (256 with [CLS]/[SEP])."""
    from tokenizers import Tokenizer

    from assistant.embed.model_files import DEFAULT_MODEL, resolve_model_path

    tokenizer = Tokenizer.from_file(str(Path(resolve_model_path(DEFAULT_MODEL)) /
                                        "tokenizer.json"))
    tokenizer.no_truncation()
    ids = tokenizer.encode(corpus_text(), add_special_tokens=False).ids
    out = []
    for i in range(n):
        start = (i * 97) % max(1, len(ids) - tokens)
        out.append(tokenizer.decode(ids[start:start + tokens]))
    return out


def corpus_chunks() -> list[str]:
    from assistant.index import corpus_embed_texts
    from assistant.ingest.chunking import ChunkerConfig

    return corpus_embed_texts(REPO / "corpus", ChunkerConfig())


def _forward_torch(encoder, batches: list[list[str]]) -> float:
    import torch

    model = encoder.model
    tokenized = []
    for batch in batches:
        features = model.preprocess(batch)
        tokenized.append({k: v.to(model.device) if isinstance(v, torch.Tensor) else v
                          for k, v in features.items()})
    if encoder.cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.inference_mode():
        for features in tokenized:
            model(features)["sentence_embedding"].float().cpu()
    return time.perf_counter() - start


def _forward_onnx(encoder, batches: list[list[str]]) -> float:
    from assistant.embed.onnx_encoder import pool_and_normalize

    feeds = []
    step = encoder.run_batch  # what encode runs at once (1: see OnnxEncoder)
    runs = [b[i:i + step] for b in batches for i in range(0, len(b), step)]
    for batch in runs:
        enc = encoder.tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feeds.append(({k: v for k, v in feed.items() if k in encoder.input_names}, mask))
    start = time.perf_counter()
    for feed, mask in feeds:
        pool_and_normalize(encoder.session.run(None, feed)[0], mask, encoder.pooling)
    return time.perf_counter() - start


def bench(label: str, embedder: Embedder, texts: list[str], repeat: int) -> dict:
    encoder = embedder._load()
    embedder.embed_documents(texts[: min(len(texts), embedder.batch_size)])  # warm up
    size = embedder.batch_size
    if getattr(encoder, "cuda", False):
        from assistant.embed.torch_encoder import CUDA_BATCH_SIZE

        size = max(size, CUDA_BATCH_SIZE)
    encode_s = min(_timed(lambda: embedder.embed_documents(texts)) for _ in range(repeat))
    batches = [texts[i:i + size] for i in range(0, len(texts), size)]
    forward = _forward_onnx if embedder.backend == "onnx-int8" else _forward_torch
    forward_s = min(forward(encoder, batches) for _ in range(repeat))
    latencies = []
    for _ in range(5):
        for query in QUERIES:
            latencies.append(_timed(lambda q=query: embedder.embed_query(q)))
    return {"backend": label, "batch": size, "encode": len(texts) / encode_s,
            "forward": len(texts) / forward_s, "query_ms": statistics.median(latencies) * 1e3}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.embedding",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="synthetic 256-token passages")
    parser.add_argument("--corpus-chunks", action="store_true",
                        help="use the shipped corpus chunks (embed_text) instead")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="0: automatic")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--backends", default="torch-cpu,onnx-int8-cpu,torch-cuda")
    parser.add_argument("--cache-dir", type=Path, default=REPO / ".cache")
    args = parser.parse_args(argv)

    texts = corpus_chunks() if args.corpus_chunks else synthetic_passages(args.n)
    wanted = args.backends.split(",")
    plans = [("torch-cpu", "torch", "cpu"), ("onnx-int8-cpu", "onnx-int8", "cpu")]
    if cuda_available():
        plans.append(("torch-cuda-fp16", "torch", "cuda"))
    rows = []
    for label, backend, device in plans:
        if not any(label.startswith(w) for w in wanted):
            continue
        embedder = Embedder(batch_size=args.batch_size, device=device, backend=backend,
                            cache_dir=args.cache_dir, threads=args.threads)
        rows.append(bench(label, embedder, texts, args.repeat))
    what = "corpus chunks" if args.corpus_chunks else "synthetic 256-token passages"
    print(f"{len(texts)} {what}; passages/s (higher is better), query latency median")
    print(f"{'backend':<17}{'batch':>6}{'encode p/s':>12}{'forward p/s':>13}{'query ms':>10}")
    for row in rows:
        print(f"{row['backend']:<17}{row['batch']:>6}{row['encode']:>12.1f}"
              f"{row['forward']:>13.1f}{row['query_ms']:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
