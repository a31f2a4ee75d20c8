"""Ranking: one best-first list from the candidates of one index or of every shard, then
the ``Hit``s.

The order is fusion (``search.fusion``) of the merged dense and lexical candidates
(``search.candidates``), novel evidence first (``search.novelty``), sign-off promotion for
"who wrote" questions (``search.authorship``), and near-duplicates dropped
(``search.dedupe``). ``Retriever`` runs it over its index; a cluster's router over the
answers of its shards, so both rank with this one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from assistant.records import Chunk, Hit
from assistant.search.authorship import is_authorship_question, promote_sign_offs
from assistant.search.candidates import (
    Candidates,
    Probe,
    cosine_lookup,
    merged_dense,
    merged_evidence,
)
from assistant.search.dedupe import near_duplicate, shingles
from assistant.search.fusion import Ranking, convex, rrf
from assistant.search.novelty import NOVELTY_DEPTH, novel_first
from assistant.settings import Fusion

__all__ = ["Passages", "SignOffs", "hits_of", "ranked"]

# The passages and their cosines to the query, by id (those of ``ids`` that exist).
Passages = Callable[[list[int]], dict[int, tuple[Chunk, float]]]


class SignOffs(Protocol):
    def sign_offs(self, row_ids: list[int]) -> dict[int, int]: ...


def ranked(parts: list[Candidates], probe: Probe, k: int, fusion: Fusion, bm25_weight: float,
           signed: SignOffs) -> Ranking:
    """The candidates of ``parts`` best first, as ``probe.mode`` ranks them."""
    dense = merged_dense(parts, probe.pool)
    if probe.mode == "dense":
        ordered = dense
    else:
        evidence = merged_evidence(parts, dense, probe.pool)
        ordered = evidence.ranking
        if probe.mode == "hybrid" and fusion == "rrf":
            ordered = rrf(dense, evidence.ranking)
        elif probe.mode == "hybrid":
            cosine = cosine_lookup(parts)
            ordered = convex(dense, evidence.ranking,
                             lambda ids: np.asarray([cosine[i] for i in ids.tolist()]),
                             bm25_weight)
        ordered = novel_first(ordered, evidence, depth=max(NOVELTY_DEPTH, 3 * k))
    if is_authorship_question(probe.query):
        ordered = promote_sign_offs(ordered, signed)
    return ordered


def hits_of(ordered: Ranking, k: int, passages: Passages) -> list[Hit]:
    """The first ``k`` of ``ordered`` that are not near-duplicates of one above them."""
    candidates = ordered[: max(3 * k, 20)]
    found = passages([row_id for row_id, _ in candidates])
    hits: list[Hit] = []
    kept: list[set] = []
    for row_id, score in candidates:
        if row_id not in found:
            continue
        chunk, cosine = found[row_id]
        seen = shingles(chunk.text)
        if any(near_duplicate(seen, other) for other in kept):
            continue
        hits.append(Hit.from_chunk(chunk, score, cosine))
        kept.append(seen)
        if len(hits) == k:
            break
    return hits
