"""File digests, shared by index builds (which files changed), the int8 export (which
weights it came from) and the packaged model's check (the assembled GGUF is the right one)."""

from __future__ import annotations

import hashlib
import os

__all__ = ["sha256_file"]

_BLOCK = 1 << 20  # 1 MiB reads: a digest of a multi-GB model file holds one block in memory


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
