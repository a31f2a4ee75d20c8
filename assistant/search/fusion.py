"""Hybrid fusion: one ranking from the dense and the BM25 candidates.

Rankings are best-first lists of ``(row id, score)``. ``convex`` is the default (README,
"Retrieval quality"); ``rrf`` is kept as ``ASSISTANT_FUSION=rrf`` for comparison.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["RRF_K", "Ranking", "convex", "rrf"]

Ranking = list[tuple[int, float]]
RRF_K = 60


def rrf(dense: Ranking, sparse: Ranking) -> Ranking:
    """Reciprocal rank fusion: scores ignored, ranks summed as 1 / (60 + rank)."""
    fused: dict[int, float] = {}
    for ranking in (dense, sparse):
        for rank, (row_id, _) in enumerate(ranking):
            fused[row_id] = fused.get(row_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda item: -item[1])


def convex(dense: Ranking, sparse: Ranking, cosines: Callable[[np.ndarray], np.ndarray],
           bm25_weight: float) -> Ranking:
    """``w × BM25/best BM25 + (1 − w) × cosine/best cosine`` over the union of candidates.

    The cosine is computed (``cosines(ids)``) for every BM25 candidate the dense list
    missed, and BM25 outside its top list counts as 0, so a passage BM25 ranks first is not
    buried for missing from the dense list, as happens with RRF.
    """
    cosine = dict(dense)
    missing = np.asarray([i for i, _ in sparse if i not in cosine], dtype=np.int64)
    if len(missing):
        cosine.update(zip(missing.tolist(), cosines(missing).tolist(), strict=True))
    if not cosine:
        return []
    # Both scores are divided by their best, not min-max stretched: when the cosines of
    # the candidates lie close together (the small model is unsure) stretching them
    # to 0..1 let a dense hunch outvote a clear lexical match (README, "Retrieval quality").
    bm25 = dict(sparse)
    top_bm25 = max(bm25.values(), default=0.0) or 1.0
    low, high = min(cosine.values()), max(cosine.values())
    if high > 0:
        low, span = 0.0, high
    else:  # no candidate points the query's way: rank by how close they come
        span = (high - low) or 1.0
    w = bm25_weight
    fused = {i: w * bm25.get(i, 0.0) / top_bm25 + (1 - w) * (c - low) / span
             for i, c in cosine.items()}
    return sorted(fused.items(), key=lambda item: -item[1])
