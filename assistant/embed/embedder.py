"""Sentence embeddings, loaded lazily and fully offline, from one of two backends.

``torch``: the sentence-transformers model (``assistant.embed.torch_encoder``), fp16 on CUDA.
``onnx-int8``: the same weights exported to int8 ONNX (``assistant.embed.onnx_export``), CPU only;
on a 2-core AVX2 machine 1.3-1.7x the passages/s of torch and 4 ms per query instead of
11-20 ms (far more under load), mean cosine 0.99 to the torch vectors, same dev recall@5.
``auto`` picks torch when CUDA is present and onnx-int8 otherwise. The two give different
vectors, so ``model_id`` (what an index records) differs: ``all-MiniLM-L6-v2`` vs
``all-MiniLM-L6-v2+onnx-int8``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.embed.model_files import (
    DEFAULT_MODEL,
    go_offline,
    int8_model_dir,
    resolve_model_path,
)
from assistant.settings import EmbeddingBackend, choices

__all__ = ["BACKENDS", "Embedder", "cuda_available", "resolve_backend"]

BACKENDS = choices(EmbeddingBackend)


def cuda_available() -> bool:
    """True when torch sees a CUDA device; cheap (no torch import) where no driver exists."""
    if not (Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists()
            or os.environ.get("CUDA_VISIBLE_DEVICES")):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_backend(backend: str, device: str | None = None) -> tuple[str, str]:
    """``(backend, device)`` with "auto" and "" made concrete; ValueError when unusable."""
    name = (backend or "auto").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; choose one of "
                         f"{', '.join(BACKENDS)} (ASSISTANT_EMBEDDING_BACKEND)")
    dev = (device or "").strip().lower()
    if dev and dev != "cpu" and not dev.startswith("cuda"):
        raise ValueError(f"unknown embedding device {device!r}; choose cpu, cuda, cuda:N or "
                         "leave it empty for CUDA when present (ASSISTANT_EMBEDDING_DEVICE)")
    if name == "onnx-int8":
        if dev.startswith("cuda"):
            raise ValueError("the onnx-int8 embedding backend runs on the CPU only; use "
                             "embedding_backend=torch for CUDA")
        return name, "cpu"
    if not dev:
        dev = "cuda" if cuda_available() else "cpu"
    if name == "auto":
        name = "torch" if dev.startswith("cuda") else "onnx-int8"
    return name, dev


class Embedder:
    """``embed_documents`` / ``embed_query`` returning L2-normalised float32 vectors.

    The model loads on first use, never at construction. ``HF_HUB_OFFLINE`` defaults to 1
    so a missing model fails at once instead of trying to download. The int8 ONNX model is
    built into ``<cache_dir>/models/`` on first use when setup has not built it already.
    ``threads`` (0: automatic) sets onnxruntime's intra-op threads, or torch's on the CPU.
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32,
                 device: str | None = None, backend: str = "auto",
                 cache_dir: Path | str = Path(".cache"), threads: int = 0):
        if (backend or "auto").strip().lower() not in BACKENDS:
            resolve_backend(backend)  # raises the ValueError naming the choices
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.requested_backend = backend
        self.cache_dir = Path(cache_dir)
        self.threads = threads
        self._resolved: tuple[str, str] | None = None
        self._model = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> Embedder:
        """The embedder that ``settings`` describe (model, batch size, backend, device)."""
        return cls(settings.embedding_model, settings.embedding_batch_size,
                   device=settings.embedding_device or None,
                   backend=settings.embedding_backend, cache_dir=settings.cache_dir,
                   threads=settings.embedding_threads)

    def _resolve(self) -> tuple[str, str]:
        if self._resolved is None:
            self._resolved = resolve_backend(self.requested_backend, self.device)
        return self._resolved

    @property
    def backend(self) -> str:
        """The concrete backend, "torch" or "onnx-int8" ("auto" resolved)."""
        return self._resolve()[0]

    @property
    def resolved_device(self) -> str:
        return self._resolve()[1]

    @property
    def model_id(self) -> str:
        """The identity recorded in the index manifest: the configured name, plus
        ``+onnx-int8`` for the quantised backend (its vectors must not mix with torch's)."""
        return self.model_name if self.backend == "torch" else f"{self.model_name}+{self.backend}"

    @property
    def onnx_dir(self) -> Path:
        """Where the int8 export of this model lives (or will be built)."""
        return int8_model_dir(self.cache_dir, self.model_name)

    def _load(self):
        with self._lock:
            if self._model is None:
                go_offline()
                backend, device = self._resolve()
                self._model = self._load_onnx() if backend == "onnx-int8" else \
                    self._load_torch(device)
        return self._model

    def _load_torch(self, device: str):
        from transformers.utils import logging as hf_logging

        from assistant.embed.torch_encoder import TorchEncoder

        hf_logging.disable_progress_bar()
        path = resolve_model_path(self.model_name)
        try:
            return TorchEncoder(path, device=device, threads=self.threads)
        except OSError as exc:
            raise RuntimeError(
                f"could not load embedding model {self.model_name!r} from {path!r} "
                f"offline: {exc}") from exc

    def _load_onnx(self):
        from assistant.embed.onnx_encoder import OnnxEncoder
        from assistant.embed.onnx_export import build_int8_model, is_valid_export

        target = self.onnx_dir
        source = Path(resolve_model_path(self.model_name))
        if not is_valid_export(target, source):
            if not source.exists():
                raise RuntimeError(
                    f"embedding model {self.model_name!r} not found: not a folder and not "
                    f"the packaged {DEFAULT_MODEL} (set ASSISTANT_EMBEDDING_MODEL to a "
                    "sentence-transformers folder)")
            print(f"building the int8 ONNX embedding model into {target} (first run, "
                  "~20 s; `python -m assistant.embed.onnx_export` does it ahead)",
                  file=sys.stderr, flush=True)
            build_int8_model(self.model_name, target, quiet=True)
        return OnnxEncoder(target, threads=self.threads)

    @property
    def dimension(self) -> int:
        return int(self._load().dimension)

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed passages in batches; ``progress(n)`` is called after each batch of n."""
        model = self._load()
        return model.encode(list(texts), self.batch_size, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._load().encode_query(text), dtype=np.float32)
