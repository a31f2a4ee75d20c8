"""Ray Serve: one application per shard, each a deployment of ``ShardService`` replicas.

A replica opens the version of its shard that ``cluster.json`` names, leased, and swaps to
a newer one once the manifest names it (checked at most every ``CHECK_S`` between calls),
so a re-index is served without a restart. It answers the router's calls: BM25 statistics
of query terms, the candidates of a ``Probe`` (``search.candidates``), passages by id,
sign-offs, a post's passages, the passage before another, and facts for stats.

Replicas ask for ``REPLICA_CPUS`` logical CPUs: a Serve application left holding whole
CPUs starved a Ray Data job of its workers for over ten minutes (the issue's measurement),
so serving reserves little and ingestion the rest. A replica holds no model: the router
embeds the query once and sends the vector.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np

from assistant.index.index_store import IndexStore
from assistant.index.lexical import TermStats
from assistant.index.shards import ClusterManifest, shard_name
from assistant.records import Chunk
from assistant.search.candidates import (
    NO_CANDIDATES,
    Candidates,
    Probe,
    allowed_mask,
    candidates_of,
)
from assistant.search.filters import Filters
from assistant.search.retriever import passages_of
from assistant.search.timeline import matched_documents

__all__ = ["APP_PREFIX", "REPLICA_CPUS", "ShardService", "app_name", "deploy", "undeploy"]

APP_PREFIX = "assistant-"
REPLICA_CPUS = 0.1
CHECK_S = 1.0


def app_name(shard: int) -> str:
    return f"{APP_PREFIX}{shard_name(shard)}"


class ShardService:
    """One shard of a cluster index, served (the class Ray Serve deploys)."""

    def __init__(self, index_dir: str, shard: int):
        self.index_dir, self.shard = Path(index_dir), shard
        self._store: IndexStore | None = None
        self._retired: IndexStore | None = None
        self._version: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._current()

    def _current(self) -> IndexStore | None:
        """The version ``cluster.json`` names now (None: the shard holds nothing)."""
        now = time.monotonic()
        if now - self._checked < CHECK_S:
            return self._store
        with self._lock:
            self._checked = now
            manifest = ClusterManifest.read(self.index_dir)
            version = manifest.version_dir(self.index_dir, self.shard) if manifest else None
            name = version.name if version is not None else None
            if name != self._version:
                store = IndexStore(version) if version is not None else None
                # The replaced version is closed at the next swap, not now: a call running
                # on it in another of the replica's threads finishes first.
                if self._retired is not None:
                    self._retired.close()
                self._retired, self._store, self._version = self._store, store, name
            return self._store

    def info(self) -> dict[str, object]:
        store = self._current()
        if store is None:
            return {"shard": self.shard, "version": None, "chunks": 0}
        return {"shard": self.shard, "version": self._version, "chunks": store.count(),
                "stats": store.stats(), "span": store.date_span(),
                "authors": store.authors(300), "discussed": store.most_discussed(3)}

    def term_stats(self, stems: list[str]) -> TermStats:
        store = self._current()
        return TermStats() if store is None else store.lexical.term_stats(stems)

    def candidates(self, probe: Probe) -> Candidates:
        store = self._current()
        return NO_CANDIDATES if store is None else candidates_of(store, probe)

    def passages(self, ids: list[int], vector: np.ndarray) -> dict[int, tuple[Chunk, float]]:
        store = self._current()
        return {} if store is None else passages_of(store, ids, vector)

    def sign_offs(self, ids: list[int]) -> dict[int, int]:
        store = self._current()
        return {} if store is None else store.sign_offs(ids)

    def post_chunks(self, post_id: str, limit: int) -> tuple[list[Chunk], int]:
        store = self._current()
        if store is None:
            return [], 0
        chunks = store.post_chunks(post_id, limit)
        return chunks, store.post_chunk_count(post_id) if len(chunks) >= limit else len(chunks)

    def previous_text(self, chunk_id: str) -> str | None:
        store = self._current()
        return None if store is None else store.previous_text(chunk_id)

    def timeline_documents(self, query: str | None, filters: Filters,
                           stats: TermStats | None) -> tuple[np.ndarray, np.ndarray]:
        store = self._current()
        if store is None:
            return np.zeros(0, np.int32), np.zeros(0, bool)
        return matched_documents(store, query, allowed_mask(store, filters), stats)

    def where(self) -> tuple[str, int]:
        """The node address and process id of this replica (which node takes load)."""
        import ray

        return ray.util.get_node_ip_address(), os.getpid()


def deploy(address: str, index_dir: str | Path, shards: int, replicas: int = 2) -> None:
    """Run one Serve application per shard of ``index_dir`` on the cluster, ``replicas``
    each (re-running it with another count scales them). ``index_dir`` must be readable
    at the same path on every node (a shared file system on real machines)."""
    from ray import serve

    from assistant.cluster.nodes import connect

    connect(address)
    serve.start(proxy_location="Disabled")
    folder = str(Path(index_dir).resolve())
    for shard in range(shards):
        deployment = serve.deployment(ShardService, name=shard_name(shard),
                                      num_replicas=replicas, max_ongoing_requests=32,
                                      ray_actor_options={"num_cpus": REPLICA_CPUS})
        serve.run(deployment.bind(folder, shard), name=app_name(shard), route_prefix=None)


def undeploy(address: str, shards: int) -> None:
    """Delete the shard applications (the cluster keeps running)."""
    from ray import serve

    from assistant.cluster.nodes import connect

    connect(address)
    for shard in range(shards):
        serve.delete(app_name(shard))
