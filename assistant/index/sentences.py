"""Sentence postings: each passage's stemmed terms sentence by sentence, for matching a query
against one sentence or a pair of neighbouring sentences instead of the whole chunk.

In an archive of many posts that look alike, chunk-level BM25 rewards a passage for
scattering the query's words over unrelated sentences; the passage that answers usually
holds most of them in one or two sentences. The lexical index keeps, beside its chunk
postings, one entry per (passage, sentence, term) — ``sptr`` (each row's range), ``ssent``
(the sentence's number in its passage), ``sterms``, ``stfs`` — and ``SentencePostings``
scores only the candidate rows of a search, so the cost is the candidates', not the
archive's (README, "Retrieval quality").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.text import split_sentences

__all__ = ["SENTENCE_ARRAYS", "SentenceMatches", "SentencePostings", "passage_postings",
           "sentence_postings"]

SENTENCE_ARRAYS = ("sptr", "ssent", "sterms", "stfs")
K1 = 1.5  # as the chunk postings; no length norm (b = 0): with it short sentences won
_MAX_SENTENCES = 65535  # ``ssent`` is uint16; later sentences of a huge passage share the last
_MIX = np.uint64(0x9E3779B97F4A7C15)  # a 64-bit odd constant: spreads (term, tf) for hashing


def sentence_postings(text: str, tokenize: Callable[[str], list[str]],
                      term_id: Callable[[str], int]) -> tuple[list[int], list[int], list[int]]:
    """(sentence numbers, term ids, counts) of ``text``, one entry per sentence and term."""
    sents: list[int] = []
    terms: list[int] = []
    tfs: list[int] = []
    for number, sentence in enumerate(split_sentences(text, run_ons=True)):
        counts: dict[int, int] = {}
        for stem in tokenize(sentence):
            tid = term_id(stem)
            counts[tid] = counts.get(tid, 0) + 1
        sents += [min(number, _MAX_SENTENCES)] * len(counts)
        terms += counts
        tfs += counts.values()
    return sents, terms, tfs


def passage_postings(text: str, body: str, tokenize: Callable[[str], list[str]],
                     term_id: Callable[[str], int]
                     ) -> tuple[dict[int, int], tuple[list[int], list[int], list[int]]]:
    """A passage's term counts over ``text`` (its fields, then ``body``) and ``body``'s
    sentence postings; when ``text`` ends with ``body`` the body is tokenised once (its
    counts are its sentences', a word never spanning two sentences)."""
    sentences = sentence_postings(body, tokenize, term_id)
    fields = text[:len(text) - len(body)] if text.endswith(body) else None
    counts: dict[int, int] = {}
    for stem in tokenize(text if fields is None else fields):
        tid = term_id(stem)
        counts[tid] = counts.get(tid, 0) + 1
    if fields is not None:
        for tid, tf in zip(sentences[1], sentences[2], strict=True):
            counts[tid] = counts.get(tid, 0) + tf
    return counts, sentences


@dataclass(frozen=True)
class SentenceMatches:
    """The query's matches in the sentences of some candidate rows.

    ``row``, ``sent``, ``score`` and ``signature`` are per matched sentence (a sentence
    holding at least one query term): its candidate's position in the rows asked for, its
    number in the passage, its BM25 against the query, and a hash of its whole content (its
    terms and their counts), equal for copies of one sentence. ``windows`` is per candidate:
    the best BM25 of two neighbouring sentences (of the one sentence of a short passage).
    """

    row: np.ndarray
    sent: np.ndarray
    score: np.ndarray
    signature: np.ndarray
    windows: np.ndarray


class SentencePostings:
    """A read-only view of the sentence arrays of a ``LexicalIndex``."""

    def __init__(self, arrays: dict[str, np.ndarray], vocab: list[str]):
        self.ptr, self.sent = arrays["sptr"], arrays["ssent"]
        self.terms, self.tfs = arrays["sterms"], arrays["stfs"]
        self._vocab = vocab
        self._vocab_size = max(len(vocab), 1)
        self._idf: np.ndarray | None = None
        self._term_hashes: np.ndarray | None = None

    @property
    def term_hashes(self) -> np.ndarray:
        """A 64-bit hash of each term's text (computed once per open). Signatures mix these,
        not term ids, so a sentence copied into a post of another shard, whose vocabulary
        numbers its terms otherwise, has the same signature (``search.novelty``)."""
        if self._term_hashes is None:
            self._term_hashes = np.fromiter(
                (int.from_bytes(hashlib.blake2b(t.encode("utf-8", "surrogatepass"),
                                                digest_size=8).digest(), "little")
                 for t in self._vocab), np.uint64, len(self._vocab))
        return self._term_hashes

    def document_frequencies(self) -> np.ndarray:
        """The sentences each term occurs in."""
        return np.bincount(self.terms, minlength=self._vocab_size)

    def count(self) -> int:
        """Sentences holding at least one term."""
        ends = self.ptr[1:][np.diff(self.ptr) > 0] - 1  # each row's last entry
        return int((self.sent[ends].astype(np.int64) + 1).sum())

    @property
    def idf(self) -> np.ndarray:
        """Inverse sentence frequency of each term (computed once per open)."""
        if self._idf is None:
            df = self.document_frequencies()
            n = float(self.count())
            self._idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        return self._idf

    def _entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(entry positions of ``rows``, each entry's position in ``rows``)."""
        starts, ends = self.ptr[rows], self.ptr[rows + 1]
        lengths = ends - starts
        owner = np.repeat(np.arange(len(rows)), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return np.repeat(starts, lengths) + offsets, owner

    def match(self, rows: np.ndarray, terms: list[int],
              idf: dict[int, float] | None = None) -> SentenceMatches:
        """How each of ``rows`` (row numbers of the lexical index) matches the query ``terms``
        (term ids, repeats allowed) sentence by sentence; ``idf`` (by term id) in place of
        this index's own (a cluster's, ``LexicalIndex.global_idf``)."""
        rows = np.asarray(rows, dtype=np.int64)
        table = self.idf
        if idf is not None:
            table = np.zeros(len(table), np.float32)
            for t, value in idf.items():
                table[t] = value
        entries, owner = self._entries(rows)
        query = np.unique(np.asarray(terms, dtype=np.int64))
        if not len(entries) or not len(query):
            empty = np.zeros(0)
            return SentenceMatches(empty.astype(np.int64), empty.astype(np.int64), empty,
                                   empty.astype(np.uint64), np.zeros(len(rows)))
        sent = self.sent[entries].astype(np.int64)
        width = int(sent.max()) + 2
        # Entries run row by row, sentence by sentence, so one id per (candidate,
        # sentence) is non-decreasing: its runs are the sentences, found without sorting.
        unit = owner * width + sent
        starts = np.flatnonzero(np.diff(unit, prepend=-1))
        unit_of = np.cumsum(np.diff(unit, prepend=-1) != 0) - 1
        terms_here, tfs_here = self.terms[entries], self.tfs[entries]
        mixed = (self.term_hashes[terms_here] * _MIX) ^ (
            tfs_here.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9))
        signature = np.add.reduceat(mixed * _MIX, starts)  # order-free: a sum of the mixes
        counts = np.bincount(owner, minlength=len(rows))
        last = np.zeros(len(rows), np.int64)  # each candidate's last sentence number
        last[counts > 0] = sent[(np.cumsum(counts) - 1)[counts > 0]]

        hit = np.isin(terms_here, query)
        term, tf = terms_here[hit], tfs_here[hit].astype(np.float32)
        part = table[term] * tf / (K1 + tf)
        per_unit = np.bincount(unit_of[hit], weights=part, minlength=len(starts))
        matched = np.flatnonzero(per_unit > 0)
        windows = self._windows(owner[hit], sent[hit], (term, tf, table), last, width)
        return SentenceMatches(owner[starts[matched]], sent[starts[matched]],
                               per_unit[matched], signature[matched], windows)

    def _windows(self, owner: np.ndarray, sent: np.ndarray,
                 terms: tuple[np.ndarray, np.ndarray, np.ndarray], last: np.ndarray,
                 width: int) -> np.ndarray:
        """Best BM25 of sentences (i, i + 1) per candidate; a matched sentence counts in the
        window it starts and in the one before it. ``terms``: each match's term id and
        count, and the IDF table."""
        term, tf, idf = terms
        final = np.maximum(last[owner] - 1, 0)  # the candidate's last window
        starts = np.concatenate([sent, sent - 1])
        keep = (starts >= 0) & (starts <= np.concatenate([final, final]))
        window = (np.concatenate([owner, owner]) * width + starts)[keep]
        both_terms = np.concatenate([term, term])[keep]
        both_tf = np.concatenate([tf, tf])[keep]
        key, key_of = np.unique(window * self._vocab_size + both_terms, return_inverse=True)
        summed = np.bincount(key_of, weights=both_tf)
        key_term = key % self._vocab_size
        part = idf[key_term] * summed / (K1 + summed)
        window_of_key = key // self._vocab_size
        ids, of = np.unique(window_of_key, return_inverse=True)
        per_window = np.bincount(of, weights=part)
        best = np.zeros(len(last))
        np.maximum.at(best, ids // width, per_window)
        return best
