"""The resume cache: embedded batches of an unfinished build, kept in ``.resume/``.

Each batch of ``EMBED_BATCH`` chunks is saved as soon as it is embedded, keyed by a hash
of the model and the batch's texts, so a build interrupted by Ctrl-C or SIGKILL resumes
without embedding the finished batches again. Publishing a version clears the cache.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np

__all__ = ["ResumeCache"]


class ResumeCache:
    """Embedded batches of unfinished builds, keyed by model and texts (``.resume/``)."""

    def __init__(self, folder: Path, model_id: str):
        self.folder = folder
        self.model_id = model_id

    def key(self, texts: list[str]) -> str:
        digest = hashlib.sha256(self.model_id.encode())
        for text in texts:
            digest.update(b"\x00" + text.encode())
        return digest.hexdigest()[:32]

    def get(self, key: str) -> np.ndarray | None:
        path = self.folder / f"{key}.npy"
        try:
            return np.load(path) if path.is_file() else None
        except (OSError, ValueError):  # a torn write from a kill: embed again
            return None

    def put(self, key: str, vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{key}.tmp.npy"
        np.save(tmp, vectors)
        os.replace(tmp, self.folder / f"{key}.npy")

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
