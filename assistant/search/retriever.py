"""Hybrid search over an index: dense (FAISS) and BM25 fused by reciprocal rank."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.index.build import IndexMismatchError, IndexStore
from assistant.records import Hit
from assistant.search.authorship import is_authorship_question, promote_sign_offs
from assistant.settings import Settings

__all__ = ["MODES", "Filters", "Hit", "Retriever", "parse_date"]

MODES = ("hybrid", "dense", "bm25")
FUSIONS = ("convex", "rrf")
RRF_K = 60
MAX_K = 100


def parse_date(value: str | date | None, name: str = "date") -> date | None:
    """Accept ``YYYY-MM-DD`` (or a ``date``); raise ``ValueError`` naming the parameter."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from exc


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    kind: str | None = None  # "post", "comment" or None for both
    author: str | None = None

    @classmethod
    def make(cls, since=None, until=None, kind=None, author=None) -> Filters:
        since, until = parse_date(since, "since"), parse_date(until, "until")
        if since and until and since > until:
            raise ValueError(f"since ({since}) is after until ({until})")
        if kind in ("", "both", "all"):
            kind = None
        if kind not in (None, "post", "comment"):
            raise ValueError(f"kind must be 'post', 'comment' or 'both', got {kind!r}")
        author = (author or "").strip() or None
        return cls(since, until, kind, author)

    @property
    def active(self) -> bool:
        return any((self.since, self.until, self.kind, self.author))

    def sql(self) -> tuple[str, list[object]]:
        clauses, params = [], []
        if self.since:
            clauses.append("date >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("date <= ?")
            params.append(self.until.isoformat())
        if self.kind:
            clauses.append("kind = ?")
            params.append(self.kind)
        if self.author:
            clauses.append("author = ? COLLATE NOCASE")
            params.append(self.author)
        return " AND ".join(clauses) or "1", params


_WORD = re.compile(r"\w+")


def _shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _near_duplicate(a: set, b: set, threshold: float = 0.6) -> bool:
    """Near-duplicates share most shingles, or one is (almost) contained in the other."""
    if not a or not b:
        return False
    common = len(a & b)
    return common / len(a | b) >= threshold or common / min(len(a), len(b)) >= 0.85


def _settings_for(model_id: str) -> str:
    """The environment settings that reproduce an embedder's ``model_id``."""
    model, _, backend = model_id.partition("+")
    return f"ASSISTANT_EMBEDDING_MODEL={model} ASSISTANT_EMBEDDING_BACKEND={backend or 'torch'}"


class Retriever:
    """Search an index built by ``build_index``. Cheap to open; the model loads on first query."""

    def __init__(self, store: IndexStore, embedder: Embedder, fusion: str = "convex",
                 bm25_weight: float = 0.5):
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        if not 0.0 <= bm25_weight <= 1.0:
            raise ValueError(f"bm25_weight must be between 0 and 1, got {bm25_weight}")
        self.store = store
        self.embedder = embedder
        self.fusion = fusion
        self.bm25_weight = bm25_weight
        built_with = store.manifest["embedding"]["model"]
        if embedder.model_id != built_with:
            raise IndexMismatchError(
                f"the index at {store.path.parent.parent} was built with embedding model "
                f"{built_with!r} ({store.manifest['embedding']['dimension']}-d) but the "
                f"configured model is {embedder.model_id!r}: rebuild with "
                f"`python -m assistant index --rebuild` or set "
                f"{_settings_for(built_with)}")
        self._dimension_checked = False

    @classmethod
    def open(cls, index_dir: str | os.PathLike = "index", *, settings: Settings | None = None,
             embedder: Embedder | None = None) -> Retriever:
        settings = settings or Settings.from_env()
        embedder = embedder or Embedder.from_settings(settings)
        return cls(IndexStore.open(Path(index_dir)), embedder, fusion=settings.fusion,
                   bm25_weight=settings.bm25_weight)

    @property
    def manifest(self) -> dict:
        return self.store.manifest

    def stats(self) -> dict[str, object]:
        return self.store.stats()

    # ------------------------------------------------------------ search

    def search(self, query: str, k: int = 5, since: str | date | None = None,
               until: str | date | None = None, kind: str | None = None,
               author: str | None = None, mode: str = "hybrid") -> list[Hit]:
        """The ``k`` best passages for ``query``, filtered by date range, kind and author."""
        if not isinstance(query, str) or not query.strip():
            raise ValueError("the query is empty")
        if len(query) > 4000:
            raise ValueError(f"the query is too long ({len(query)} characters, limit 4000)")
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise ValueError(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        filters = Filters.make(since, until, kind, author)
        mask = self._allowed_mask(filters)
        allowed = None
        if mask is not None:
            allowed = self._allowed_ids(mask)
            if len(allowed) == 0:
                return []
        pool = max(50, 4 * k)
        qvec = self._query_vector(query)
        rankings: list[list[tuple[int, float]]] = []
        if mode in ("hybrid", "dense"):
            rankings.append(self.store.dense.search(qvec, pool, allowed))
        if mode in ("hybrid", "bm25"):
            rankings.append(self.store.lexical.search(query, pool, mask))

        ordered = self._fuse(qvec, *rankings) if mode == "hybrid" else rankings[0]
        if is_authorship_question(query):
            ordered = promote_sign_offs(ordered, self.store.db)
        return self._hits(ordered, qvec, k)

    def _fuse(self, qvec: np.ndarray, dense: list[tuple[int, float]],
              sparse: list[tuple[int, float]]) -> list[tuple[int, float]]:
        if self.fusion == "rrf":
            fused: dict[int, float] = {}
            for ranking in (dense, sparse):
                for rank, (row_id, _) in enumerate(ranking):
                    fused[row_id] = fused.get(row_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            return sorted(fused.items(), key=lambda item: -item[1])
        # Convex combination: the cosine is computed for every candidate of the union (BM25
        # outside its top list counts as 0), so a passage that BM25 ranks first is not buried
        # for missing from the dense list, as happens with RRF.
        cosine = dict(dense)
        missing = np.asarray([i for i, _ in sparse if i not in cosine], dtype=np.int64)
        if len(missing):
            scores = self.store.dense.reconstruct_batch(missing) @ qvec
            cosine.update(zip(missing.tolist(), scores.tolist(), strict=True))
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
        w = self.bm25_weight
        fused = {i: w * bm25.get(i, 0.0) / top_bm25 + (1 - w) * (c - low) / span
                 for i, c in cosine.items()}
        return sorted(fused.items(), key=lambda item: -item[1])

    def _query_vector(self, query: str) -> np.ndarray:
        vector = self.embedder.embed_query(query)
        if not self._dimension_checked:
            expected = self.store.manifest["embedding"]["dimension"]
            if vector.shape[0] != expected:
                raise IndexMismatchError(
                    f"embedding model {self.embedder.model_id!r} gives {vector.shape[0]}-d "
                    f"vectors but the index holds {expected}-d vectors")
            self._dimension_checked = True
        return vector

    def _allowed_mask(self, filters: Filters) -> np.ndarray | None:
        """Rows of the lexical index that pass ``filters`` (None: no filter).

        Dates and kinds are numpy columns; an author is looked up through the chunk store's
        index on author, so no filter walks the archive in Python.
        """
        if not filters.active:
            return None
        lexical = self.store.lexical
        mask = lexical.filter_mask(filters.since, filters.until, filters.kind)
        if filters.author:
            rows = self.store.db.execute(
                "SELECT id FROM chunks WHERE author = ? COLLATE NOCASE",
                (filters.author,)).fetchall()
            by_author = np.zeros(len(mask), dtype=bool)
            if rows:
                by_author[lexical.rows_of(np.asarray([r[0] for r in rows], np.int64))] = True
            mask &= by_author
        return mask

    def _allowed_ids(self, mask: np.ndarray) -> np.ndarray:
        """The ids where ``mask`` holds, sorted (as the dense index wants them)."""
        sorted_ids, order = self.store.lexical.sorted_ids()
        return sorted_ids[mask[order]]

    def _hits(self, ordered: list[tuple[int, float]], qvec: np.ndarray, k: int) -> list[Hit]:
        candidates = ordered[: max(3 * k, 20)]
        chunks = self.store.chunks_by_ids([row_id for row_id, _ in candidates])
        hits: list[Hit] = []
        kept_shingles: list[set] = []
        for row_id, score in candidates:
            chunk = chunks.get(row_id)
            if chunk is None:
                continue
            shingles = _shingles(chunk.text)
            if any(_near_duplicate(shingles, seen) for seen in kept_shingles):
                continue
            vector = self.store.dense.reconstruct(int(row_id))
            hits.append(Hit.from_chunk(chunk, score, float(np.dot(vector, qvec))))
            kept_shingles.append(shingles)
            if len(hits) == k:
                break
        return hits
