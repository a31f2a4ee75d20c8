"""Candidates: what one index (or one shard of a cluster) contributes to a search, and their
merge into the evidence that fusion ranks.

A search is split where a cluster splits it. Each index answers a ``Probe`` with its
``Candidates``: its dense top pool, its chunk-BM25 top pool, and for the union of the two
the raw scores the ranking needs (chunk BM25, best two-sentence window, cosine, matched
sentences). ``merged_evidence`` then keeps the global top pools and blends the scores as
``search.windows`` does for one index. Every id of the global top pools is in its own
shard's top pools, so the merge is exact: with ``Probe.stats`` summed over the shards
(``index.lexical.TermStats``), BM25 scores compare across shards, and N shards rank as one
index of the whole archive would (``tests/cluster``). One index is one part: the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.index.index_store import IndexStore
from assistant.index.lexical import TermStats
from assistant.index.sentences import SentenceMatches
from assistant.search.filters import Filters
from assistant.search.fusion import Ranking
from assistant.search.windows import NO_EVIDENCE, LexicalEvidence, blended_ranking

__all__ = ["NO_CANDIDATES", "Candidates", "Probe", "allowed_ids", "allowed_mask",
           "candidates_of", "cosine_lookup", "merged_dense", "merged_evidence"]


@dataclass(frozen=True)
class Probe:
    """What every index is asked for one search (picklable: it travels to shards)."""

    query: str
    vector: np.ndarray  # the query's embedding, computed once by the caller
    pool: int  # candidates per ranking (``max(50, 4k)``)
    filters: Filters = field(default_factory=Filters)
    mode: str = "hybrid"
    stats: TermStats | None = None  # a cluster's summed BM25 statistics; None: the index's


@dataclass(frozen=True)
class Candidates:
    """One index's answer to a ``Probe``. ``ids`` (sorted) are its dense and lexical
    candidates together; ``chunk``, ``windows`` and ``cosines`` are per id, and
    ``matches.row`` counts positions in ``ids``."""

    dense: Ranking = field(default_factory=list)  # (id, cosine), best first
    lexical: Ranking = field(default_factory=list)  # (id, chunk BM25), best first
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    chunk: np.ndarray = field(default_factory=lambda: np.zeros(0))
    windows: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cosines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    matches: SentenceMatches | None = None


NO_CANDIDATES = Candidates()


def allowed_mask(store: IndexStore, filters: Filters) -> np.ndarray | None:
    """Rows of the lexical index that pass ``filters`` (None: no filter).

    Dates and kinds are numpy columns; an author is looked up through the chunk store's
    index on author, so no filter walks the archive in Python.
    """
    if not filters.active:
        return None
    lexical = store.lexical
    mask = lexical.filter_mask(filters.since, filters.until, filters.kind)
    if filters.author:
        ids = store.ids_by_author(filters.author)
        by_author = np.zeros(len(mask), dtype=bool)
        if len(ids):
            by_author[lexical.rows_of(ids)] = True
        mask &= by_author
    return mask


def allowed_ids(store: IndexStore, mask: np.ndarray) -> np.ndarray:
    """The ids where ``mask`` holds, sorted (as the dense index wants them)."""
    sorted_ids, order = store.lexical.sorted_ids()
    return sorted_ids[mask[order]]


def candidates_of(store: IndexStore, probe: Probe) -> Candidates:
    """``store``'s candidates for ``probe``: the filters applied here, BM25 scored with
    ``probe.stats`` when given."""
    mask = allowed_mask(store, probe.filters)
    allowed = None
    if mask is not None:
        allowed = allowed_ids(store, mask)
        if len(allowed) == 0:
            return NO_CANDIDATES
    vector = probe.vector
    dense = store.dense.search(vector, probe.pool, allowed) if probe.mode != "bm25" else []
    lexical = store.lexical
    terms = lexical.known_terms(probe.query) if probe.mode != "dense" else []
    if not terms or not len(lexical):
        return Candidates(dense=dense)
    scores = lexical.scores(terms, mask, probe.stats)
    top = lexical.top(scores, probe.pool)
    ids = np.unique(np.asarray([*(i for i, _ in top), *(i for i, _ in dense)], np.int64))
    rows = lexical.rows_of(ids)
    sentence_idf = None if probe.stats is None else lexical.global_idf(terms, probe.stats)[1]
    matches = lexical.sentences.match(rows, terms, sentence_idf)
    cosines = store.dense.reconstruct_batch(ids) @ vector if probe.mode == "hybrid" \
        else np.zeros(len(ids), np.float32)
    return Candidates(dense, top, ids, scores[rows].astype(np.float64), matches.windows,
                      cosines, matches)


def merged_dense(parts: list[Candidates], pool: int) -> Ranking:
    """The dense top ``pool`` of all parts (one part: its own list, unchanged)."""
    if len(parts) == 1:
        return parts[0].dense[:pool]
    return sorted((pair for part in parts for pair in part.dense),
                  key=lambda pair: -pair[1])[:pool]


def merged_evidence(parts: list[Candidates], dense: Ranking, pool: int) -> LexicalEvidence:
    """The lexical evidence of the global candidates: the BM25 top ``pool`` of all parts and
    the ids of ``dense`` (``merged_dense``), blended as ``search.windows`` blends them:
    ``(1 − s) × BM25/best + s × window/best window``, over these candidates."""
    top = sorted((pair for part in parts for pair in part.lexical),
                 key=lambda pair: -pair[1])[:pool]
    if not any(part.matches is not None for part in parts):
        return NO_EVIDENCE
    ids = np.unique(np.asarray([*(i for i, _ in top), *(i for i, _ in dense)], np.int64))
    if not len(ids):
        return NO_EVIDENCE
    chunk, window = np.zeros(len(ids)), np.zeros(len(ids))
    row, sent, score, signature = [], [], [], []
    for part in parts:
        if part.matches is None:
            continue
        keep = np.isin(part.ids, ids)
        where = np.searchsorted(ids, part.ids[keep])  # each kept id's place in ``ids``
        chunk[where], window[where] = part.chunk[keep], part.windows[keep]
        new_row = np.full(len(part.ids), -1, np.int64)
        new_row[keep] = where
        matched = new_row[part.matches.row]
        hit = matched >= 0
        row.append(matched[hit])
        sent.append(part.matches.sent[hit])
        score.append(part.matches.score[hit])
        signature.append(part.matches.signature[hit])
    if len(parts) > 1:  # one part's matches are already in candidate order
        order = np.argsort(np.concatenate(row), kind="stable")
        row, sent, score, signature = ([np.concatenate(a)[order]]
                                       for a in (row, sent, score, signature))
    matches = SentenceMatches(np.concatenate(row), np.concatenate(sent), np.concatenate(score),
                              np.concatenate(signature), window)
    return LexicalEvidence(blended_ranking(ids, chunk, window), ids, matches)


def cosine_lookup(parts: list[Candidates]) -> dict[int, float]:
    """Each lexical candidate's cosine to the query, by id, from the parts that hold it."""
    found: dict[int, float] = {}
    for part in parts:
        found.update(zip(part.ids.tolist(), np.asarray(part.cosines).tolist(), strict=True))
    return found
