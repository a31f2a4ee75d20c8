"""Vectors embedded elsewhere, served as an embedder: a cluster's actors embed the chunks,
and each shard is then written by the ordinary build code, which asks this for them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = ["PrecomputedVectors", "text_key"]


def text_key(text: str) -> bytes:
    """What a vector is looked up by: the sha1 of the text embedded (equal texts embed the
    same, so one vector serves every chunk with that text)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


class PrecomputedVectors:
    """``embed_documents`` from a table of vectors by ``text_key``; a text the table lacks
    is a ``KeyError`` (the cluster left it out), never a silent zero vector. Queries are not
    embedded here."""

    def __init__(self, vectors: Mapping[bytes, np.ndarray], model_id: str, dimension: int):
        self.vectors = vectors
        self.model_id = model_id
        self.dimension = dimension

    def embed_documents(self, texts: Sequence[str],
                        progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), np.float32)
        for i, text in enumerate(texts):
            vector = self.vectors.get(text_key(text))
            if vector is None:
                raise KeyError(f"no vector was embedded for the passage {text[:60]!r}")
            out[i] = vector
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        raise NotImplementedError("precomputed vectors embed passages, not queries")
