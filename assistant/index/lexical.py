"""BM25 over postings arrays, updated in place of a rebuild, with per-passage filter columns.

The index is a set of numpy arrays in one folder, in one row order shared by every array:

* ``ids`` (int64, the FAISS ids), ``days`` (int32 date ordinals, 0 = undated), ``kinds``
  (uint8, 0 = post, 1 = comment) — the columns that date and kind filters read;
* ``ptr`` / ``terms`` / ``tfs`` — each passage's stemmed terms and their counts (CSR);
* ``vocab.json`` — term strings, append-only so term ids stay stable across versions;
* ``sptr`` / ``ssent`` / ``sterms`` / ``stfs`` — the same terms sentence by sentence
  (``index.sentences``), for matching a query in one or two neighbouring sentences.

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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from assistant.index.sentences import SENTENCE_ARRAYS, SentencePostings, passage_postings

__all__ = ["BM25_STEMMER", "K1", "KIND_CODES", "B", "BadPostings", "LexicalIndex", "LexicalRow",
           "TermStats", "Tokenizer", "bm25_idf", "passage_text"]

K1, B = 1.5, 0.75
BM25_STEMMER = "english"  # Snowball, as bm25s is given it (recorded in the manifest)
KIND_CODES = {"post": 0, "comment": 1}
_SPLIT = re.compile(r"(?u)\b\w\w+\b").findall
_ARRAYS = ("ids", "days", "kinds", "ptr", "terms", "tfs", *SENTENCE_ARRAYS)
_ROW_COLUMNS = ("ids", "days", "kinds")


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
    n = len(arrays["ids"])
    for name in ("days", "kinds"):
        if len(arrays[name]) != n:
            raise BadPostings(f"{name}.npy", f"{len(arrays[name])} rows where {n} are expected")
    # the chunk postings, then the sentence postings (``sentences``), the same CSR shape
    for ptr, terms, others in (("ptr", "terms", ("tfs",)), ("sptr", "sterms", ("ssent", "stfs"))):
        offsets, ids = arrays[ptr], arrays[terms]
        for other in others:
            if len(arrays[other]) != len(ids):
                raise BadPostings(f"{other}.npy", f"{len(arrays[other])} rows where "
                                                  f"{len(ids)} are expected")
        if (len(offsets) != n + 1 or offsets[0] != 0 or offsets[-1] != len(ids)
                or (np.diff(offsets) < 0).any()):
            raise BadPostings(f"{ptr}.npy", "row offsets out of order or out of range")
        if len(ids) and (ids.min() < 0 or ids.max() >= len(vocab)):
            raise BadPostings(f"{terms}.npy", "term ids outside the vocabulary")


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


def passage_text(title: str, author: str | None, text: str, day: date | None = None) -> str:
    """What BM25 indexes of a passage: its post's title, its author, its year (twice) and
    its text."""
    # The post lead (``context``) stays out: shared by all of a post's chunks, it made
    # them tie on the lead's words (measured: MRR 0.788 without, 0.732 with). The year as
    # a field, counted twice, lets "In 2019, …" meet passages dated 2019: hybrid recall@5
    # over both dev files 0.690 -> 0.793 among 2,000 look-alike posts, 0.931 -> 0.966 on
    # the shipped corpus (benchmarks.crowded); counted once, one question fewer.
    year = f"{day.year} {day.year}" if day else ""
    return f"{title} {author or ''} {year} {text}"


@dataclass(frozen=True)
class LexicalRow:
    """What the lexical index needs of one passage."""

    id: int
    text: str  # the fields BM25 scores (``passage_text``)
    date: date | None
    kind: str
    body: str | None = None  # the passage's own text, split into sentences; None: ``text``


def bm25_idf(n: float, df: np.ndarray) -> np.ndarray:
    """BM25's IDF (Lucene's, never negative) of terms in ``df`` of ``n`` documents."""
    return np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)


@dataclass(frozen=True)
class TermStats:
    """The BM25 statistics of some query terms over one index or, summed, over all the
    shards of a cluster: rows and their total length, sentences, and each term's document
    and sentence frequency. Scored with the sums, every shard gives a passage the score
    one index of the whole archive would (``search.candidates``)."""

    rows: int = 0
    length: float = 0.0
    sentences: int = 0
    df: dict[str, int] = field(default_factory=dict)
    sentence_df: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: TermStats) -> TermStats:
        def summed(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
            return {t: a.get(t, 0) + b.get(t, 0) for t in a.keys() | b.keys()}

        return TermStats(self.rows + other.rows, self.length + other.length,
                         self.sentences + other.sentences, summed(self.df, other.df),
                         summed(self.sentence_df, other.sentence_df))

    @property
    def avgdl(self) -> float:
        return self.length / self.rows if self.rows else 1.0


def _empty_arrays(rows: int = 0) -> dict[str, np.ndarray]:
    """Empty postings; with ``rows``, the sentence arrays of that many rows without any
    (an index written before sentences were indexed)."""
    return {"ids": np.zeros(0, np.int64), "days": np.zeros(0, np.int32),
            "kinds": np.zeros(0, np.uint8), "ptr": np.zeros(1, np.int64),
            "terms": np.zeros(0, np.int32), "tfs": np.zeros(0, np.uint16),
            "sptr": np.zeros(rows + 1, np.int64), "ssent": np.zeros(0, np.uint16),
            "sterms": np.zeros(0, np.int32), "stfs": np.zeros(0, np.uint16)}


def _kept_parts(arrays: dict[str, np.ndarray], remove: np.ndarray
                ) -> dict[str, list[np.ndarray]]:
    """The rows of ``arrays`` not in ``remove``, as the first part of each column (with
    ``lengths`` and ``slengths``, the entries of each row, in place of ``ptr``/``sptr``)."""
    lengths, slengths = np.diff(arrays["ptr"]), np.diff(arrays["sptr"])
    keep = ~np.isin(arrays["ids"], np.asarray(remove, dtype=np.int64)) if len(remove) \
        else np.ones(len(arrays["ids"]), dtype=bool)
    parts = {k: [arrays[k][keep]] for k in _ROW_COLUMNS}
    row_of_entry = np.repeat(keep, lengths)
    parts.update({k: [arrays[k][row_of_entry]] for k in ("terms", "tfs")})
    row_of_entry = np.repeat(keep, slengths)
    parts.update({k: [arrays[k][row_of_entry]] for k in ("ssent", "sterms", "stfs")})
    parts["lengths"], parts["slengths"] = [lengths[keep]], [slengths[keep]]
    return parts


def _postings(rows: list[LexicalRow], tokenize: Tokenizer, term_ids: dict[str, int],
              vocab: list[str]) -> dict[str, np.ndarray]:
    """The columns of ``rows`` (new stems appended to ``vocab`` and ``term_ids``)."""
    def term_id(stem: str) -> int:
        tid = term_ids.get(stem)
        if tid is None:
            tid = term_ids[stem] = len(vocab)
            vocab.append(stem)
        return tid

    ids, days, kinds, lengths, terms, tfs = [], [], [], [], [], []
    slengths, ssent, sterms, stfs = [], [], [], []
    for row in rows:
        body = row.text if row.body is None else row.body
        counts, (sents, s_terms, s_tfs) = passage_postings(row.text, body, tokenize, term_id)
        ids.append(row.id)
        days.append(row.date.toordinal() if row.date else 0)
        kinds.append(KIND_CODES.get(row.kind, 0))
        lengths.append(len(counts))
        terms.extend(counts)
        tfs.extend(counts.values())
        slengths.append(len(sents))
        ssent += sents
        sterms += s_terms
        stfs += s_tfs
    return {"ids": np.asarray(ids, np.int64), "days": np.asarray(days, np.int32),
            "kinds": np.asarray(kinds, np.uint8), "terms": np.asarray(terms, np.int32),
            "tfs": _counts(tfs), "lengths": np.asarray(lengths, np.int64),
            "ssent": np.asarray(ssent, np.uint16), "sterms": np.asarray(sterms, np.int32),
            "stfs": _counts(stfs), "slengths": np.asarray(slengths, np.int64)}


def _counts(values: list[int]) -> np.ndarray:
    return np.minimum(np.asarray(values, np.int64), 65535).astype(np.uint16)


def _offsets(lengths: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.concatenate(lengths))]).astype(np.int64)


class LexicalIndex:
    """BM25 postings plus filter columns; ``search`` reads only the query terms' postings."""

    def __init__(self, arrays: dict[str, np.ndarray], vocab: list[str]):
        self.arrays = arrays
        self.vocab = vocab
        self._term_ids = {t: i for i, t in enumerate(vocab)}
        self._tokenizer: Tokenizer | None = None
        self._csc = None
        self._lengths: np.ndarray | None = None  # each row's term count (``_prepare``)
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None
        self.sentences = SentencePostings(arrays, vocab)

    # ------------------------------------------------------------ construction

    @classmethod
    def empty(cls) -> LexicalIndex:
        return cls(_empty_arrays(), [])

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        folder = Path(folder)
        # An index written before sentence postings has none: its searches match chunks
        # only until the next build, which re-indexes every passage (PARSER_VERSION 4).
        present = [name for name in _ARRAYS if (folder / f"{name}.npy").exists()]
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode=None) for name in present}
        for name, empty in _empty_arrays(len(arrays["ids"])).items():
            arrays.setdefault(name, empty)
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
        lengths, slengths = parts.pop("lengths"), parts.pop("slengths")
        arrays = {k: np.concatenate(v) for k, v in parts.items()}
        arrays["ptr"], arrays["sptr"] = _offsets(lengths), _offsets(slengths)
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
            self._csc = (matrix, norm, bm25_idf(n, df))
            self._lengths = lengths
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

    def stems(self, query: str) -> list[str]:
        """The query's BM25 terms, known here or not (repeats kept, as they count)."""
        return self.tokenizer(query)

    def term_stats(self, stems: Iterable[str]) -> TermStats:
        """This index's share of the statistics of ``stems`` (``TermStats``)."""
        matrix, _, _ = self._prepare()
        known = {t: self._term_ids[t] for t in set(stems) if t in self._term_ids}
        sentence_df = self.sentences.document_frequencies()
        return TermStats(len(self), float(self._lengths.sum()) if len(self) else 0.0,
                         self.sentences.count(),
                         {t: int(matrix.indptr[i + 1] - matrix.indptr[i])
                          for t, i in known.items()},
                         {t: int(sentence_df[i]) for t, i in known.items()})

    def global_idf(self, terms: list[int], stats: TermStats
                   ) -> tuple[dict[int, float], dict[int, float]]:
        """The chunk and sentence IDF of ``terms`` (ids here) from ``stats``."""
        stems = [self.vocab[t] for t in terms]
        chunk = bm25_idf(stats.rows, np.asarray([stats.df.get(s, 0) for s in stems]))
        sentence = bm25_idf(stats.sentences,
                            np.asarray([stats.sentence_df.get(s, 0) for s in stems]))
        return (dict(zip(terms, chunk.tolist(), strict=True)),
                dict(zip(terms, sentence.tolist(), strict=True)))

    def scores(self, terms: list[int], mask: np.ndarray | None = None,
               stats: TermStats | None = None) -> np.ndarray:
        """BM25 of every row for the query ``terms`` (``known_terms``), 0 outside ``mask``;
        with ``stats``, IDF and average length are theirs (a cluster's), not this index's."""
        matrix, norm, idf = self._prepare()
        if stats is not None:
            norm = (K1 * ((1 - B) + B * self._lengths / (stats.avgdl or 1.0))).astype(np.float32)
            idf = np.zeros(len(idf), np.float32)
            for t, value in self.global_idf(terms, stats)[0].items():
                idf[t] = value
        scores = np.zeros(len(self), dtype=np.float32)
        for t in terms:
            start, end = matrix.indptr[t], matrix.indptr[t + 1]
            rows = matrix.indices[start:end]
            tf = matrix.data[start:end]
            scores[rows] += idf[t] * tf / (norm[rows] + tf)
        if mask is not None:
            scores *= mask
        return scores

    def search(self, query: str, n: int, mask: np.ndarray | None = None
               ) -> list[tuple[int, float]]:
        """The ``n`` best (id, score) by BM25, only rows where ``mask`` is true."""
        terms = self.known_terms(query)
        if not terms or not len(self):
            return []
        return self.top(self.scores(terms, mask), n)

    def top(self, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The ``n`` best (id, score) of per-row ``scores``, zeros left out."""
        n = min(n, len(scores))
        if n == 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        ids = self.arrays["ids"]
        return [(int(ids[r]), float(scores[r])) for r in top if scores[r] > 0]
