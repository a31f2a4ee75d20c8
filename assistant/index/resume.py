"""The resume cache: passages an unfinished build embedded, kept in ``.resume/``.

Each batch of ``write.EMBED_BATCH`` chunks is saved as soon as it is embedded: one
``.npz`` holding the passages' keys (a hash of the model and the text) and their vectors.
A build resumed after Ctrl-C or SIGKILL looks every passage up by its key, so it embeds
again at most the batch that was running when it stopped, however its batches now fall (a
file edited in between shifts every later batch boundary; keys by batch then missed them
all). Publishing a version clears the cache.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["ResumeCache"]

# What reading a file cut short by a power cut raises (a kill cannot tear one: each file is
# written under another name and renamed).
_TORN = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


class ResumeCache:
    """Vectors of unfinished builds by passage key (``.resume/``), read on first lookup."""

    def __init__(self, folder: Path, model_id: str):
        self.folder = folder
        self.model_id = model_id
        self._keys: np.ndarray | None = None  # sorted keys of every saved passage
        self._where: np.ndarray | None = None  # (file number, row) of each, in that order
        self._files: list[Path] = []
        self._open: tuple[int, np.ndarray | None] | None = None  # a file's vectors, as read

    def keys(self, texts: list[str]) -> np.ndarray:
        """One uint64 per text: the first 8 bytes of blake2b(model, text) (two equal keys
        among a million passages: one chance in 10^7)."""
        model = self.model_id.encode() + b"\x00"
        digests = b"".join(hashlib.blake2b(model + t.encode(), digest_size=8).digest()
                           for t in texts)
        return np.frombuffer(digests, np.uint64).copy()

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``(found, vectors)``: a bool per key, and the saved vectors of the found ones in
        order (None when none is found)."""
        self._load_keys()
        if not len(self._keys):
            return np.zeros(len(keys), bool), None
        slots = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        found = self._keys[slots] == keys
        vectors = []
        for i in np.flatnonzero(found):
            vector = self._vector(*self._where[slots[i]])
            if vector is None:  # its file is torn: embed it again
                found[i] = False
            else:
                vectors.append(vector)
        return found, np.stack(vectors) if vectors else None

    def put(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Save one embedded batch (a kill mid-write leaves a ``.part`` that is ignored)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.blake2b(keys.tobytes(), digest_size=12).hexdigest()  # the same batch
        tmp = self.folder / f"{name}.part"                                  # the same file
        with tmp.open("wb") as fh:
            np.savez(fh, keys=keys, vectors=vectors)
        os.replace(tmp, self.folder / f"{name}.npz")

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------ reading

    def _load_keys(self) -> None:
        """Every saved key, read once per build (vectors are read when looked up)."""
        if self._keys is not None:
            return
        keys, where = [], []
        for path in sorted(self.folder.glob("*.npz")) if self.folder.is_dir() else []:
            try:
                with np.load(path) as saved:
                    part = saved["keys"]
            except _TORN:  # embedded again
                continue
            where.append(np.stack([np.full(len(part), len(self._files)),
                                   np.arange(len(part))], axis=1))
            keys.append(part)
            self._files.append(path)
        self._keys = np.concatenate([np.zeros(0, np.uint64), *keys])
        self._where = np.concatenate([np.zeros((0, 2), np.int64), *where])
        order = np.argsort(self._keys, kind="stable")
        self._keys, self._where = self._keys[order], self._where[order]

    def _vector(self, file: int, row: int) -> np.ndarray | None:
        # A resumed build looks its batches up in the order they were saved: each file's
        # vectors are read once.
        if self._open is None or self._open[0] != file:
            try:
                with np.load(self._files[file]) as saved:
                    self._open = (int(file), saved["vectors"])
            except _TORN:
                self._open = (int(file), None)
        vectors = self._open[1]
        return None if vectors is None else vectors[row]
