"""Shared fixtures: a deterministic hashing embedder for logic tests, and tiny corpora."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEV_SET = SHARED / "eval" / "dev.jsonl"


class HashEmbedder:
    """Bag-of-words hashed into 64 dimensions: deterministic, instant, no model."""

    model_id = "test-hash-64"
    dimension = 64

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed_documents(self, texts, progress=None):
        self.embedded.extend(texts)
        if progress:
            progress(len(texts))
        return np.stack([self._vector(t) for t in texts]) if texts else \
            np.zeros((0, self.dimension), dtype=np.float32)

    def embed_query(self, text):
        return self._vector(text)


POST_A = """Monday 3 March 2014

Unions Ballot Over Pay

Napo members will be balloted on industrial action over the pay freeze. The union says six
years of frozen pay is too long.

The ballot opens next week and closes at the end of the month.

2 comments:

  1. About time the union acted on pay.

    ReplyDelete
  2. Pay is not the only issue, caseloads matter more.
    Getafix3 March 2014 at 10:15

    ReplyDelete
"""

POST_B = """Tuesday 4 March 2014

Trident Contract Awarded

The shipyard contract went to a defence company. It has nothing to do with probation.
"""


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(POST_A)
    (corpus / "b.txt").write_text(POST_B)
    return corpus


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory) -> Path:
    """The shipped corpus indexed with the real embedding model (built once per session)."""
    from assistant import Settings, build_index

    root = tmp_path_factory.mktemp("shipped")
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    build_index(corpus, root / "index", settings=Settings.from_env())
    return root / "index"
