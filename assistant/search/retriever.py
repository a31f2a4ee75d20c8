"""Hybrid search over an index: dense (FAISS) and BM25 candidates, filtered, fused, deduped.

A query flows: validate → filter mask (numpy date/kind columns, the store's author lookup)
→ dense and BM25 candidates → lexical evidence of every candidate, chunk BM25 blended with
its best two-sentence window (``search.windows``) → fusion (``search.fusion``) → novel
evidence first (``search.novelty``) → sign-off promotion for "who wrote" questions
(``search.authorship``) → near-duplicates dropped (``search.dedupe``) → ``Hit``s with their
cosine to the query. Dense mode ranks by the cosine alone.

A retriever opened with ``Retriever.open`` follows the index as it is re-built: between
searches, at most every ``ASSISTANT_INDEX_CHECK_MS``, it looks at ``CURRENT`` and swaps to a
newly published version once that is loaded (``index.live``); each search runs start to end
on the version it began on. Servers share one retriever, so REST, /v1, MCP and the page all
serve a new version within about a second of its publish, with no request dropped.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.index import IndexMismatchError, IndexStore
from assistant.index.live import LiveIndex
from assistant.index.manifest import Manifest
from assistant.records import Chunk, Hit
from assistant.search.candidates import Probe, allowed_mask, candidates_of
from assistant.search.filters import Filters
from assistant.search.ranking import hits_of, ranked
from assistant.search.thread import MAX_THREAD_PASSAGES, Thread, thread_of
from assistant.search.timeline import Timeline, timeline_of
from assistant.settings import Fusion, Settings

__all__ = ["MAX_K", "MAX_QUERY_CHARS", "MODES", "Retriever", "check_request", "passages_of"]

MODES = ("hybrid", "dense", "bm25")
MAX_K = 100
MAX_QUERY_CHARS = 4000


def check_request(query: object, k: object, mode: object) -> None:
    if not isinstance(query, str) or not query.strip():
        raise ValueError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"the query is too long ({len(query)} characters, "
                         f"limit {MAX_QUERY_CHARS})")
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")


class Retriever:
    """Search an index built by ``build_index``. Cheap to open; the model loads on first query.

    ``fusion`` and ``bm25_weight`` default to, and are validated by, ``Settings``. A
    retriever made from a store serves that version until ``refresh`` (or ``watch``).
    """

    def __init__(self, store: IndexStore, embedder: Embedder, fusion: Fusion | None = None,
                 bm25_weight: float | None = None):
        given = {"fusion": fusion, "bm25_weight": bm25_weight}
        checked = Settings(**{name: value for name, value in given.items() if value is not None})
        self.embedder = embedder
        self.fusion = checked.fusion
        self.bm25_weight = checked.bm25_weight
        self._check_model(store)
        self._live = LiveIndex(store, accept=self._check_model)
        self._dimension_checked: Path | None = None  # the version whose dimension was checked

    @classmethod
    def open(cls, index_dir: str | os.PathLike = "index", *, settings: Settings | None = None,
             embedder: Embedder | None = None) -> Retriever:
        """The published version of ``index_dir``, followed as new ones are published."""
        settings = settings or Settings.from_env()
        embedder = embedder or Embedder.from_settings(settings)
        retriever = cls(IndexStore.open(Path(index_dir)), embedder, fusion=settings.fusion,
                        bm25_weight=settings.bm25_weight)
        if settings.index_check_ms > 0:
            retriever.watch(settings.index_check_ms / 1000)
        return retriever

    @property
    def store(self) -> IndexStore:
        """The version searched now; a later call may get a newer one."""
        return self._live.store

    @property
    def manifest(self) -> Manifest:
        return self.store.manifest

    def stats(self) -> dict[str, object]:
        with self._live.use() as store:
            return store.stats()

    def watch(self, every: float) -> None:
        """Check ``CURRENT`` at most every ``every`` seconds between searches, and swap to a
        newly published version in the background."""
        self._live.check_every = every

    def refresh(self) -> bool:
        """Swap to the published version now, once it is loaded (True if it was new)."""
        return self._live.refresh()

    def close(self) -> None:
        """Release the index (its lease lets builds remove the version)."""
        self._live.close()

    def _check_model(self, store: IndexStore) -> None:
        for mismatch in store.manifest.check(where=store.path.parent.parent,
                                             model=self.embedder.model_id):
            raise IndexMismatchError(mismatch.message)

    # The public signature keeps its keyword filters (README "Library"), hence 7 arguments.
    def search(self, query: str, k: int = 5, since: str | date | None = None,  # noqa: PLR0913
               until: str | date | None = None, kind: str | None = None,
               author: str | None = None, mode: str = "hybrid") -> list[Hit]:
        """The ``k`` best passages for ``query``, filtered by date range, kind and author."""
        check_request(query, k, mode)
        filters = Filters.make(since, until, kind, author)
        with self._live.use() as store:  # one version from start to end
            return self._search(store, query, k, filters, mode)

    def timeline(self, query: str | None = None, since: str | date | None = None,
                 until: str | date | None = None, kind: str | None = None,
                 author: str | None = None, granularity: str = "auto") -> Timeline:
        """Matching posts and comments per year or month (``search.timeline``); no query:
        the whole archive. Filters as ``search`` takes them."""
        if query is not None and len(query) > MAX_QUERY_CHARS:
            raise ValueError(f"the query is too long ({len(query)} characters, "
                             f"limit {MAX_QUERY_CHARS})")
        filters = Filters.make(since, until, kind, author)
        with self._live.use() as store:
            return timeline_of(store, query, filters, allowed_mask(store, filters),
                               granularity)

    def thread(self, post_id: str) -> Thread:
        """The post ``post_id`` with its comments (``search.thread``); KeyError if unknown."""
        with self._live.use() as store:
            chunks = store.post_chunks(str(post_id), MAX_THREAD_PASSAGES + 1)
            left_out = 0
            if len(chunks) > MAX_THREAD_PASSAGES:
                left_out = store.post_chunk_count(str(post_id)) - MAX_THREAD_PASSAGES
        thread = thread_of(chunks[:MAX_THREAD_PASSAGES], left_out)
        if thread is None:
            raise KeyError(f"no post {str(post_id)[:80]!r} in the index")
        return thread

    def previous_text(self, hit: Hit) -> str | None:
        """The passage before ``hit`` in its post section or comment (None at its start):
        what a passage that opens mid-thought ("The extent of this innovation has, however,
        been slowed …") leans on."""
        with self._live.use() as store:
            return store.previous_text(hit.chunk_id)

    def _search(self, store: IndexStore, query: str, k: int, filters: Filters,
                mode: str) -> list[Hit]:
        vector = self._query_vector(store, query)
        probe = Probe(query, vector, max(50, 4 * k), filters, mode)
        parts = [candidates_of(store, probe)]
        ordered = ranked(parts, probe, k, self.fusion, self.bm25_weight, store)
        return hits_of(ordered, k, lambda ids: passages_of(store, ids, vector))

    def _query_vector(self, store: IndexStore, query: str) -> np.ndarray:
        vector = self.embedder.embed_query(query)
        if self._dimension_checked != store.path:
            for mismatch in store.manifest.check(
                    where=store.path.parent.parent, model=self.embedder.model_id,
                    dimension=vector.shape[0]):
                raise IndexMismatchError(mismatch.message)
            self._dimension_checked = store.path
        return vector


def passages_of(store: IndexStore, ids: list[int], vector: np.ndarray
                ) -> dict[int, tuple[Chunk, float]]:
    """The chunks of ``ids`` in ``store`` with their cosines to ``vector``."""
    chunks = store.chunks_by_ids(ids)
    if not chunks:
        return {}
    found = np.fromiter(chunks, np.int64, len(chunks))
    cosines = store.dense.reconstruct_batch(found) @ vector
    return {int(i): (chunks[int(i)], float(c)) for i, c in zip(found, cosines, strict=True)}
