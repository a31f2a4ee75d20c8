"""A deterministic stand-in for ``Embedder``: no model, instant, and it records what it was asked.

A text's vector is the sum of its words' vectors, made unit length (all zeros for a text
without words). Without a ``Lexicon`` a word is one of ``dimension`` axes chosen by its md5,
so texts that share words are near, and every machine and run gets the same vectors. With a
lexicon a word is its row there and words outside it count for nothing: the benchmarks give
their synthetic archives topic-weighted random projections that way. ``model_id`` names the
fake, so an index built with it refuses to open with the real model (and the reverse).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FakeEmbedder", "Lexicon"]

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Lexicon:
    """Word vectors for ``FakeEmbedder``: ``vectors[words[w]]`` is the vector of word ``w``."""

    words: Mapping[str, int]
    vectors: np.ndarray

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])


class FakeEmbedder:
    """``embed_documents`` / ``embed_query`` like ``Embedder``, from words alone.

    ``embedded`` and ``queries`` list the texts it was given, in order (``record=False``
    keeps nothing: a benchmark of a million chunks would otherwise hold them all).
    """

    model_id = "test-hash-64"
    dimension = 64

    def __init__(self, lexicon: Lexicon | None = None, *, model_id: str | None = None,
                 record: bool = True) -> None:
        self.lexicon = lexicon
        if lexicon is not None:
            self.dimension = lexicon.dimension
            self.model_id = f"fake-lexicon-{lexicon.dimension}"
        if model_id is not None:
            self.model_id = model_id
        self.record = record
        self.embedded: list[str] = []
        self.queries: list[str] = []

    def vector(self, text: str) -> np.ndarray:
        """The unit float32 vector of ``text`` (zeros when none of its words count)."""
        words = _WORD.findall(text.lower())
        if self.lexicon is None:
            vector = np.zeros(self.dimension, dtype=np.float32)
            for word in words:
                vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        else:
            rows = [self.lexicon.words[w] for w in words if w in self.lexicon.words]
            vector = self.lexicon.vectors[rows].sum(axis=0, dtype=np.float32)
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed_documents(self, texts: Sequence[str],
                        progress: Callable[[int], None] | None = None) -> np.ndarray:
        """One row per text, in order; ``progress(len(texts))`` once, as one batch."""
        if self.record:
            self.embedded.extend(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self.vector(text)
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        if self.record:
            self.queries.append(text)
        return self.vector(text)
