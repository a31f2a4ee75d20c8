"""Lexical evidence: each candidate's chunk BM25 blended with its best two-sentence window.

Chunk BM25 counts the query's words wherever they fall in a 200-token passage, so in an
archive of look-alike posts a passage that strings together sentences each touching the
topic outranks the one passage whose sentence answers. Matching the query against every
pair of neighbouring sentences (``index.sentences``) and blending the best pair's score
with the chunk's, half and half, measured on the dev files (``benchmarks.crowded``,
hybrid recall@5 / MRR over both files): 0.690 / 0.445 -> 0.793 / 0.609 with 2,000
look-alike posts, 0.966 / 0.731 -> 0.966 / 0.744 on the shipped corpus. Shares of 0.3 and
0.7 (0.724, 0.759 crowded), windows alone (0.724 crowded, 0.862 shipped), single sentences
and windows of three (three and two questions fewer) did worse.

Candidates are the chunk-BM25 top ``n`` plus any ids the caller adds (the dense
candidates), so the window work is bounded by the pool, not the archive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from assistant.index.lexical import LexicalIndex
from assistant.index.sentences import SentenceMatches

__all__ = ["NO_EVIDENCE", "WINDOW_SHARE", "LexicalEvidence", "blended_ranking",
           "lexical_evidence"]

WINDOW_SHARE = 0.5  # of the blended score (see above)


@dataclass(frozen=True)
class LexicalEvidence:
    """``ranking``: (id, blended score) best first, candidates with any lexical match.
    ``ids`` are all the candidates, in the order ``matches.row`` counts them."""

    ranking: list[tuple[int, float]]
    ids: np.ndarray
    matches: SentenceMatches | None


NO_EVIDENCE = LexicalEvidence([], np.zeros(0, np.int64), None)


def lexical_evidence(lexical: LexicalIndex, query: str, n: int, mask: np.ndarray | None = None,
                     also: Iterable[int] = ()) -> LexicalEvidence:
    """The lexical scores of the BM25 top ``n`` (within ``mask``) and of the ids ``also``
    (which must pass ``mask`` too): ``(1 − s) × BM25/best + s × window/best window``."""
    terms = lexical.known_terms(query)
    if not terms or not len(lexical):
        return NO_EVIDENCE
    scores = lexical.scores(terms, mask)
    top = [row_id for row_id, _ in lexical.top(scores, n)]
    ids = np.unique(np.asarray([*top, *also], dtype=np.int64))
    if not len(ids):
        return NO_EVIDENCE
    rows = lexical.rows_of(ids)
    matches = lexical.sentences.match(rows, terms)
    ranking = blended_ranking(ids, scores[rows].astype(np.float64), matches.windows)
    return LexicalEvidence(ranking, ids, matches)


def blended_ranking(ids: np.ndarray, chunk: np.ndarray, window: np.ndarray
                    ) -> list[tuple[int, float]]:
    """``ids`` best first by ``(1 − s) × chunk/best chunk + s × window/best window``,
    those scoring 0 left out (stable: ties keep the order of ``ids``)."""
    blended = ((1 - WINDOW_SHARE) * chunk / (chunk.max() or 1.0)
               + WINDOW_SHARE * window / (window.max() or 1.0))
    order = np.argsort(-blended, kind="stable")
    order = order[blended[order] > 0]
    return list(zip(ids[order].tolist(), blended[order].tolist(), strict=True))
