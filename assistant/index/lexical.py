"""BM25 over postings arrays, updated in place of a rebuild, with per-passage filter columns.

The index is a set of numpy arrays in one folder, in one row order shared by every array:

* ``ids`` (int64, the FAISS ids), ``days`` (int32 date ordinals, 0 = undated), ``kinds``
  (uint8, 0 = post, 1 = comment) — the columns that date and kind filters read;
* ``ptr`` / ``terms`` / ``tfs`` — each passage's stemmed terms and their counts (CSR);
* ``vocab.json`` — term strings, append-only so term ids stay stable across versions.

Adding passages appends rows; removing them drops rows; BM25 statistics (document
frequencies, average length) are computed from the live rows when the index is opened, so
an update costs time proportional to what changed plus one write of the arrays, never a
re-tokenisation of the archive. Scores match ``bm25s`` (Lucene variant, k1=1.5, b=0.75,
same tokenisation), which the index used before.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

__all__ = ["BM25_STEMMER", "K1", "KIND_CODES", "B", "BadPostings", "LexicalIndex", "LexicalRow",
           "Tokenizer", "passage_text"]

K1, B = 1.5, 0.75
BM25_STEMMER = "english"  # Snowball, as bm25s is given it (recorded in the manifest)
KIND_CODES = {"post": 0, "comment": 1}
_SPLIT = re.compile(r"(?u)\b\w\w+\b").findall
_ARRAYS = ("ids", "days", "kinds", "ptr", "terms", "tfs")


class BadPostings(ValueError):
    """Arrays of a lexical folder that do not fit together (``file``: which one)."""

    def __init__(self, file: str, detail: str):
        super().__init__(f"{file}: {detail}")
        self.file, self.detail = file, detail


def _check_postings(arrays: dict[str, np.ndarray], vocab: list[str]) -> None:
    """Raise ``BadPostings`` unless the arrays fit together. scipy trusts CSR offsets and
    term ids: eight flipped bytes in ``ptr.npy`` (sizes unchanged, so an open's checks pass)
    crashed the reading process with a segmentation fault in ``tocsc``
    (``benchmarks.corruption``). One pass over the postings: milliseconds per 10M."""
    n, ptr, terms = len(arrays["ids"]), arrays["ptr"], arrays["terms"]
    for name, rows, want in (("days", len(arrays["days"]), n), ("kinds", len(arrays["kinds"]), n),
                             ("tfs", len(arrays["tfs"]), len(terms))):
        if rows != want:
            raise BadPostings(f"{name}.npy", f"{rows} rows where {want} are expected")
    if len(ptr) != n + 1 or ptr[0] != 0 or ptr[-1] != len(terms) or (np.diff(ptr) < 0).any():
        raise BadPostings("ptr.npy", "row offsets out of order or out of range")
    if len(terms) and (terms.min() < 0 or terms.max() >= len(vocab)):
        raise BadPostings("terms.npy", "term ids outside the vocabulary")


class Tokenizer:
    """bm25s's tokenisation (lower case, ``\\w\\w+``, English stopwords, Snowball stems),
    with a cache of stems so a million passages tokenise in seconds."""

    def __init__(self, stemmer: str = BM25_STEMMER) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stem = Stemmer.Stemmer(stemmer).stemWord
        self._stop = frozenset(STOPWORDS_EN)
        self._cache: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        cache, out = self._cache, []
        for word in _SPLIT(text.lower()):
            if word in self._stop:
                continue
            stem = cache.get(word)
            if stem is None:
                stem = cache[word] = self._stem(word)
            out.append(stem)
        return out


def passage_text(title: str, author: str | None, text: str) -> str:
    """What BM25 indexes of a passage: its post's title, its author and its text."""
    # The post lead (``context``) stays out: shared by all of a post's chunks, it made
    # them tie on the lead's words (measured: MRR 0.788 without, 0.732 with).
    return f"{title} {author or ''} {text}"


@dataclass(frozen=True)
class LexicalRow:
    """What the lexical index needs of one passage."""

    id: int
    text: str
    date: date | None
    kind: str


def _empty_arrays() -> dict[str, np.ndarray]:
    return {"ids": np.zeros(0, np.int64), "days": np.zeros(0, np.int32),
            "kinds": np.zeros(0, np.uint8), "ptr": np.zeros(1, np.int64),
            "terms": np.zeros(0, np.int32), "tfs": np.zeros(0, np.uint16)}


def _kept_parts(arrays: dict[str, np.ndarray], remove: np.ndarray
                ) -> dict[str, list[np.ndarray]]:
    """The rows of ``arrays`` not in ``remove``, as the first part of each column (with
    ``lengths``, the terms of each row, in place of ``ptr``)."""
    lengths = np.diff(arrays["ptr"])
    if not len(remove):
        parts = {k: [arrays[k]] for k in _ARRAYS if k != "ptr"}
        parts["lengths"] = [lengths]
        return parts
    keep = ~np.isin(arrays["ids"], np.asarray(remove, dtype=np.int64))
    row_of_nnz = np.repeat(keep, lengths)
    parts = {k: [arrays[k][keep]] for k in ("ids", "days", "kinds")}
    parts.update({k: [arrays[k][row_of_nnz]] for k in ("terms", "tfs")})
    parts["lengths"] = [lengths[keep]]
    return parts


def _postings(rows: list[LexicalRow], tokenize: Tokenizer, term_ids: dict[str, int],
              vocab: list[str]) -> dict[str, np.ndarray]:
    """The columns of ``rows`` (new stems appended to ``vocab`` and ``term_ids``)."""
    ids, days, kinds, lengths, terms, tfs = [], [], [], [], [], []
    for row in rows:
        counts: dict[int, int] = {}
        for stem in tokenize(row.text):
            tid = term_ids.get(stem)
            if tid is None:
                tid = term_ids[stem] = len(vocab)
                vocab.append(stem)
            counts[tid] = counts.get(tid, 0) + 1
        ids.append(row.id)
        days.append(row.date.toordinal() if row.date else 0)
        kinds.append(KIND_CODES.get(row.kind, 0))
        lengths.append(len(counts))
        terms.extend(counts)
        tfs.extend(counts.values())
    return {"ids": np.asarray(ids, np.int64), "days": np.asarray(days, np.int32),
            "kinds": np.asarray(kinds, np.uint8), "terms": np.asarray(terms, np.int32),
            "tfs": np.minimum(np.asarray(tfs, np.int64), 65535).astype(np.uint16),
            "lengths": np.asarray(lengths, np.int64)}


class LexicalIndex:
    """BM25 postings plus filter columns; ``search`` reads only the query terms' postings."""

    def __init__(self, arrays: dict[str, np.ndarray], vocab: list[str]):
        self.arrays = arrays
        self.vocab = vocab
        self._term_ids = {t: i for i, t in enumerate(vocab)}
        self._tokenizer: Tokenizer | None = None
        self._csc = None
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------ construction

    @classmethod
    def empty(cls) -> LexicalIndex:
        return cls(_empty_arrays(), [])

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        folder = Path(folder)
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode=None) for name in _ARRAYS}
        vocab = json.loads((folder / "vocab.json").read_text())
        _check_postings(arrays, vocab)
        return cls(arrays, vocab)

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", self.arrays[name])
        (folder / "vocab.json").write_text(json.dumps(self.vocab))

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = Tokenizer()
        return self._tokenizer

    def updated(self, remove: np.ndarray, add: Iterable[LexicalRow],
                batch: int = 20_000) -> LexicalIndex:
        """A new index without the passages ``remove`` (ids) and with ``add`` appended."""
        vocab = list(self.vocab)
        term_ids = dict(self._term_ids)
        parts = _kept_parts(self.arrays, remove)
        rows = iter(add)
        while pending := list(itertools.islice(rows, batch)):
            for name, column in _postings(pending, self.tokenizer, term_ids, vocab).items():
                parts[name].append(column)
        lengths = parts.pop("lengths")
        arrays = {k: np.concatenate(v) for k, v in parts.items()}
        arrays["ptr"] = np.concatenate([[0], np.cumsum(np.concatenate(lengths))]
                                       ).astype(np.int64)
        return LexicalIndex(arrays, vocab)

    # ------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self.arrays["ids"])

    @property
    def ids(self) -> np.ndarray:
        return self.arrays["ids"]

    def _prepare(self):
        """Term-major postings, document lengths and the BM25 length norm (once per open)."""
        if self._csc is None:
            import scipy.sparse as sp

            a = self.arrays
            n = len(a["ids"])
            matrix = sp.csr_matrix((a["tfs"].astype(np.float32), a["terms"], a["ptr"]),
                                   shape=(n, max(len(self.vocab), 1))).tocsc()
            lengths = np.asarray(matrix.sum(axis=1)).ravel()
            avgdl = float(lengths.mean()) if n else 1.0
            norm = (K1 * ((1 - B) + B * lengths / (avgdl or 1.0))).astype(np.float32)
            df = np.diff(matrix.indptr)
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
            self._csc = (matrix, norm, idf)
        return self._csc

    def sorted_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids sorted, the row of each) — for membership tests by binary search."""
        if self._sorted is None:
            order = np.argsort(self.arrays["ids"], kind="stable")
            self._sorted = (self.arrays["ids"][order], order)
        return self._sorted

    def filter_mask(self, since: date | None, until: date | None,
                    kind: str | None) -> np.ndarray:
        """Rows passing the date and kind filters (vectorised; no Python loop over rows)."""
        a = self.arrays
        mask = np.ones(len(a["ids"]), dtype=bool)
        if since or until:
            mask &= a["days"] > 0
        if since:
            mask &= a["days"] >= since.toordinal()
        if until:
            mask &= a["days"] <= until.toordinal()
        if kind:
            mask &= a["kinds"] == KIND_CODES[kind]
        return mask

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Row numbers of ``ids`` (which must be present)."""
        sorted_ids, order = self.sorted_ids()
        return order[np.searchsorted(sorted_ids, ids)]

    def known_terms(self, query: str) -> list[int]:
        return [self._term_ids[t] for t in self.tokenizer(query) if t in self._term_ids]

    def search(self, query: str, n: int, mask: np.ndarray | None = None
               ) -> list[tuple[int, float]]:
        """The ``n`` best (id, score) by BM25, only rows where ``mask`` is true."""
        terms = self.known_terms(query)
        if not terms or not len(self):
            return []
        matrix, norm, idf = self._prepare()
        scores = np.zeros(len(self), dtype=np.float32)
        for t in terms:
            start, end = matrix.indptr[t], matrix.indptr[t + 1]
            rows = matrix.indices[start:end]
            tf = matrix.data[start:end]
            scores[rows] += idf[t] * tf / (norm[rows] + tf)
        if mask is not None:
            scores *= mask
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        ids = self.arrays["ids"]
        return [(int(ids[r]), float(scores[r])) for r in top if scores[r] > 0]
