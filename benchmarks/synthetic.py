"""Synthetic archives: the words of ``corpus/*.txt`` grouped into topics, so that passages
have neighbours, one post and nine comments per file.

Their vectors come from the package's ``FakeEmbedder`` over a lexicon of random projections
(384-d like all-MiniLM-L6-v2, idf-like weights so common words do not dominate, as in a
trained embedder), computed up front in numpy: a build's rate then measures the index, not
the model. Every table that uses them says FAKE.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from assistant.embed.fake import FakeEmbedder, Lexicon
from assistant.hashing import sha256_file
from assistant.records import Chunk, faiss_id
from benchmarks.common import DIM, QUERIES

__all__ = ["FAKE_MODEL_ID", "ArchiveEmbedder", "LazyArchive", "SyntheticArchive",
           "random_lexicon", "synthetic_archive", "vocabulary"]

FAKE_MODEL_ID = "fake-bench-384"
_PER_POST = 10  # one post and nine comments per file


def vocabulary(corpus_dir: Path | str) -> list[str]:
    """The corpus's words of three letters or more, lower-cased and sorted."""
    words: set[str] = set()
    for path in sorted(Path(corpus_dir).glob("*.txt")):
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{3,}",
                                                   path.read_text("utf-8", "replace")))
    return sorted(words) or ["probation", "union", "contract", "officer", "court"]


def random_lexicon(vocab: list[str], seed: int = 0) -> Lexicon:
    """Unweighted random 384-d word vectors (for builds whose vectors no one searches)."""
    projection = np.random.default_rng(seed).standard_normal((len(vocab), DIM))
    return Lexicon({w: i for i, w in enumerate(vocab)}, projection.astype(np.float32))


class ArchiveEmbedder(FakeEmbedder):
    """FAKE embeddings for benchmarks: ``FakeEmbedder`` over a lexicon, keeping nothing, with
    the vectors of generated chunks looked up (computed in bulk, a sparse product, rather
    than word by word). Not a language model; labelled so in every output."""

    def __init__(self, lexicon: Lexicon, known: dict[str, np.ndarray] | None = None) -> None:
        super().__init__(lexicon, model_id=FAKE_MODEL_ID, record=False)
        self.known = known or {}

    def vector(self, text: str) -> np.ndarray:
        known = self.known.get(text.rsplit("\n", 1)[-1])  # the chunk's text, after its header
        return known if known is not None else super().vector(text)


@dataclass(frozen=True)
class SyntheticArchive:
    """What ``synthetic_archive`` made besides its chunks (returned apart, so the caller can
    let go of them after the build)."""

    file_rows: list[tuple]
    embedder: ArchiveEmbedder
    queries: list[str]        # four words of one topic each
    vectors: np.ndarray       # the chunks' vectors, in chunk order
    ids: np.ndarray           # their FAISS ids


def synthetic_archive(n: int, corpus_dir: Path, out_dir: Path, seed: int = 0
                      ) -> tuple[list[Chunk], SyntheticArchive]:
    """``n`` synthetic chunks and what goes with them.

    Writes one small real file per post under ``out_dir`` (so a later build can change one);
    the chunks themselves are generated, not parsed.
    """
    import scipy.sparse as sp

    vocab = vocabulary(corpus_dir)
    rng = np.random.default_rng(seed)
    word, lengths, topic_words = _draw_words(n, len(vocab), rng)
    # idf-like weights so common words do not dominate, as in a trained embedder
    weight = (1.0 / np.sqrt(np.bincount(word, minlength=len(vocab)) + 1.0)).astype(np.float32)
    projection = rng.standard_normal((len(vocab), DIM)).astype(np.float32) * weight[:, None]
    owner = np.repeat(np.arange(n), lengths)
    matrix = sp.csr_matrix((np.ones(len(word), np.float32), (owner, word)),
                           shape=(n, len(vocab)))
    vectors = np.asarray(matrix @ projection, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    words = np.asarray(vocab, dtype=object)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    texts = [" ".join(words[word[bounds[i]:bounds[i + 1]]]) for i in range(n)]
    chunks, file_rows = _write_posts(texts, out_dir)
    ids = np.asarray([faiss_id(c.chunk_id) for c in chunks], dtype=np.int64)
    lexicon = Lexicon({w: i for i, w in enumerate(vocab)}, projection)
    embedder = ArchiveEmbedder(lexicon, dict(zip(texts, vectors, strict=True)))
    queries = [" ".join(words[rng.choice(topic_words[rng.integers(0, len(topic_words))], 4)])
               for _ in range(QUERIES)]
    return chunks, SyntheticArchive(file_rows, embedder, queries, vectors, ids)


def _draw_words(n: int, v: int, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(word ids of all chunks end to end, chunk lengths, topics' word ids)``: half of a
    chunk's words from its topic's 25, half Zipf-distributed over the vocabulary."""
    zipf = 1.0 / np.arange(1, v + 1)
    zipf /= zipf.sum()
    topics = max(20, n // 200)
    topic_words = rng.choice(v, size=(topics, 25))
    lengths = rng.integers(30, 120, n)
    doc_topic = rng.integers(0, topics, n)
    total = int(lengths.sum())
    from_topic = rng.random(total) < 0.5
    owner = np.repeat(np.arange(n), lengths)
    word = np.where(from_topic, topic_words[doc_topic[owner], rng.integers(0, 25, total)],
                    rng.choice(v, size=total, p=zipf))
    return word, lengths, topic_words


def _write_posts(texts: list[str], out_dir: Path) -> tuple[list[Chunk], list[tuple]]:
    """One file per ten chunks under ``out_dir``: the chunks, and the files' rows."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks, file_rows = [], []
    for post in range(0, len(texts), _PER_POST):
        number = post // _PER_POST
        source = f"p{number:07d}.txt"
        day = date(2010, 1, 1) + timedelta(days=number % 3650)
        title = f"Post {number}"
        body = " ".join(texts[post].split(" ")[:12]).capitalize()
        path = out_dir / source
        path.write_text(f"{day:%A %-d %B %Y}\n\n{title}\n\n{body}.\n")
        stat = path.stat()
        sha = sha256_file(path)
        count = min(_PER_POST, len(texts) - post)
        for j in range(count):
            i = post + j
            kind = "post" if j == 0 else "comment"
            chunk_id = hashlib.sha256(f"{source}\x00{i}\x00{texts[i]}".encode()).hexdigest()
            chunks.append(Chunk(chunk_id=chunk_id, post_id=f"{source}#0", source=source,
                                title=title, date=day, kind=kind,
                                author=None if kind == "post" else f"reader{i % 500}",
                                comment_number=None if kind == "post" else str(j),
                                position=j, text=texts[i]))
        file_rows.append((source, sha, stat.st_size, stat.st_mtime_ns, "indexed", None, 1,
                          count))
    return chunks, file_rows


class LazyArchive:
    """Synthetic chunks generated per file on demand, the same on every call, so that the
    build, not the benchmark, decides what is held (one post and nine comments a file)."""

    per_file = _PER_POST

    def __init__(self, n: int, vocab: list[str], seed: int = 0):
        self.n, self.seed = n, seed
        self.vocab = np.asarray(vocab, dtype=object)
        zipf = 1.0 / np.arange(1, len(vocab) + 1)
        self.cdf = np.cumsum(zipf / zipf.sum())
        self.files = (n + self.per_file - 1) // self.per_file

    def rows(self) -> list[tuple]:
        return [(self.source(k), f"{k:064x}", 1000, 0, "indexed", None, 1,
                 min(self.per_file, self.n - k * self.per_file)) for k in range(self.files)]

    @staticmethod
    def source(k: int) -> str:
        return f"p{k:07d}.txt"

    def texts(self, k: int) -> list[str]:
        rng = np.random.default_rng([self.seed, k])
        count = min(self.per_file, self.n - k * self.per_file)
        lengths = rng.integers(30, 120, count)
        words = self.vocab[np.minimum(np.searchsorted(self.cdf, rng.random(int(lengths.sum()))),
                                      len(self.vocab) - 1)]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        return [" ".join(words[bounds[j]:bounds[j + 1]]) for j in range(count)]

    def chunks_of(self, source: str) -> list[Chunk]:
        k = int(source[1:8])
        day = date(2010, 1, 1) + timedelta(days=k % 3650)
        chunks = []
        for j, text in enumerate(self.texts(k)):
            kind = "post" if j == 0 else "comment"
            chunks.append(Chunk(
                chunk_id=hashlib.sha256(f"{source}\x00{j}\x00{text}".encode()).hexdigest(),
                post_id=f"{source}#0", source=source, title=f"Post {k}", date=day, kind=kind,
                author=None if kind == "post" else f"reader{(k + j) % 500}",
                comment_number=None if kind == "post" else str(j), position=j, text=text))
        return chunks
