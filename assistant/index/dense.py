"""The dense vector index: exact inner product while small, approximate past a measured size.

Kinds (``Settings.index_type``):

* ``flat`` — ``IndexIDMap2(IndexFlatIP)``: exact; search time grows with the archive.
* ``ivf`` — ``IndexIVFScalarQuantizer`` (float16) or ``IndexIVFFlat`` (float32) with a
  hashtable direct map: removal, incremental add and ``reconstruct`` by id all native.
  ``auto`` picks it at ``ann_threshold`` chunks (README, "Scale").
* ``hnsw`` — ``IndexIDMap2(IndexHNSWSQ fp16 | IndexHNSWFlat)``. HNSW cannot remove, so
  removed ids become tombstones (filtered out of every search, ``dense_deleted.npy``) and
  the graph is rebuilt from its own vectors once a fifth of it is dead.

A flat or IVF index loaded from a version and changed a little is saved as a hard link to
the file it came from plus ``dense_delta.npz`` (removed ids; added ids and vectors), replayed
on load; past ``DELTA_LIMIT`` of changes the whole file is written again.

Filters arrive as a sorted array of allowed ids. A large allowed set (5% or more) is
searched by over-fetching unfiltered results and dropping the rest; a smaller one through a
FAISS ``IDSelectorBatch`` with a four times wider probe (IVF nprobe, HNSW efSearch), and
exactly over the allowed vectors (reconstructed) when that comes back short — or, for HNSW,
whenever the set is small, since a filtered graph walk misses too much.

How an index is built is its ``DenseSpec`` (``dense_spec``: kind, storage, knobs, chosen by
``choose_spec``); ``calibration`` measures the nprobe an IVF index searches with.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from assistant.index.calibration import CALIBRATION_QUERIES, TARGET_RECALL, measure_nprobe
from assistant.index.dense_spec import DENSE_KINDS, DenseSpec, choose_spec, train_size
from assistant.index.durability import link_or_copy

# DenseSpec and choose_spec are re-exported: callers build and read indexes through here.
__all__ = ["DENSE_KINDS", "DenseIndex", "DenseSpec", "choose_spec"]

EXACT_LIMIT = 20_000        # allowed sets up to this size are searched exactly
# Approximate indexes: an allowed set of at least OVERFETCH_FRACTION of the index is served
# by an unfiltered search for OVERFETCH_FACTOR times the results it should hold, probing
# OVERFETCH_WIDEN times wider (its top 10 sit deeper than the calibrated nprobe aims for).
# At 1M chunks (IVF) a 10% filter took 33 ms at recall@10 0.994 this way, 72 ms through an
# IDSelector with 4x the probes; a 5% filter 31 ms (0.990) against 44 ms; below 5% the
# selector is as fast.
OVERFETCH_FRACTION = 0.05
OVERFETCH_FACTOR = 2
OVERFETCH_WIDEN = 2.0
TOMBSTONE_LIMIT = 0.2       # HNSW is rebuilt when this fraction of it is deleted
IVF_GROWTH_LIMIT = 4.0      # IVF is retrained when it grows this much past its training size
RECALIBRATE_GROWTH = 0.1    # re-measure nprobe once the index changed size by this fraction
DELTA_LIMIT = 0.05          # flat/ivf: a version shares its predecessor's file plus a delta
                            # while the changes since that file stay under this fraction
INDEX_FILE, DELTA_FILE, DELETED_FILE = "dense.faiss", "dense_delta.npz", "dense_deleted.npy"


class DenseIndex:
    """A FAISS index by chunk id, whatever its kind; removal works for every kind."""

    def __init__(self, index, spec: DenseSpec, dim: int, deleted: np.ndarray | None = None):
        self.index = index
        self.spec = spec
        self.dim = dim
        self.deleted = np.zeros(0, np.int64) if deleted is None else np.sort(deleted)
        self._buffer: list[tuple[np.ndarray, np.ndarray]] = []  # ivf: vectors until trained
        # Flat and IVF: the file this index was read from, and the changes made to it since
        # (removed ids, added ids and vectors), so that saving a small edit writes only those.
        self._origin: Path | None = None
        self._removed = np.zeros(0, np.int64)
        self._added: list[tuple[np.ndarray, np.ndarray]] = []
        self._configure()

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, spec: DenseSpec, dim: int) -> DenseIndex:
        import faiss

        ip = faiss.METRIC_INNER_PRODUCT
        fp16 = spec.storage == "float16"
        if spec.kind == "flat":
            inner = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, ip) \
                if fp16 else faiss.IndexFlatIP(dim)
            index = faiss.IndexIDMap2(inner)
        elif spec.kind == "ivf":
            quantizer = faiss.IndexFlatIP(dim)
            if fp16:
                index = faiss.IndexIVFScalarQuantizer(
                    quantizer, dim, spec.nlist, faiss.ScalarQuantizer.QT_fp16, ip, False)
            else:
                index = faiss.IndexIVFFlat(quantizer, dim, spec.nlist, ip)
            quantizer.this.disown()
            index.own_fields = True
            index.cp.niter = 10
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        else:
            inner = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, spec.hnsw_m, ip) \
                if fp16 else faiss.IndexHNSWFlat(dim, spec.hnsw_m, ip)
            inner.hnsw.efConstruction = 64
            index = faiss.IndexIDMap2(inner)
        return cls(index, spec, dim)

    @classmethod
    def load(cls, folder: Path, spec: DenseSpec) -> DenseIndex:
        import faiss

        folder = Path(folder)
        index = faiss.read_index(str(folder / INDEX_FILE))
        deleted_path = folder / DELETED_FILE
        deleted = np.load(deleted_path) if deleted_path.is_file() else None
        loaded = cls(index, spec, index.d, deleted)
        if spec.kind in ("flat", "ivf") and index.is_trained:
            loaded._origin = folder / INDEX_FILE
            if (folder / DELTA_FILE).is_file():
                with np.load(folder / DELTA_FILE) as delta:
                    removed, ids, vectors = delta["removed"], delta["ids"], delta["vectors"]
                loaded.remove(removed)
                loaded.add(vectors, ids)
        return loaded

    def save(self, folder: Path) -> None:
        """Write the index to ``folder``: the whole file, or, after a small edit to a loaded
        flat or IVF index, a hard link to the file it was read from plus a delta of the
        changes (a re-index at 100,000 chunks then writes kilobytes, not 150 MB)."""
        import faiss

        folder = Path(folder)
        self.finish()
        if self.spec.kind == "ivf" and self.spec.auto_nprobe and abs(
                self.ntotal - self.spec.calibrated_size) > RECALIBRATE_GROWTH * max(
                self.spec.calibrated_size, 1):
            self.calibrate()
        changes = len(self._removed) + sum(len(i) for i, _ in self._added)
        if self._origin is not None and changes <= DELTA_LIMIT * max(self.ntotal, 1):
            link_or_copy(self._origin, folder / INDEX_FILE)
            ids, vectors = self._delta_added()
            with (folder / DELTA_FILE).open("wb") as fh:
                np.savez(fh, removed=self._removed, ids=ids, vectors=vectors)
        else:
            faiss.write_index(self.index, str(folder / INDEX_FILE))
        if len(self.deleted):
            np.save(folder / DELETED_FILE, self.deleted)

    def _delta_added(self) -> tuple[np.ndarray, np.ndarray]:
        """Ids and vectors added since the index was read from ``_origin``."""
        if not self._added:
            return np.zeros(0, np.int64), np.zeros((0, self.dim), np.float32)
        return (np.concatenate([i for i, _ in self._added]),
                np.concatenate([v for _, v in self._added]))

    def _configure(self) -> None:
        import faiss

        if self.spec.kind == "ivf":
            self.index.nprobe = min(self.spec.nprobe, self.spec.nlist)
        elif self.spec.kind == "hnsw":
            faiss.downcast_index(self.index.index).hnsw.efSearch = self.spec.ef_search

    # ------------------------------------------------------------ writing

    @property
    def ntotal(self) -> int:
        """Live vectors (tombstones and the untrained buffer excluded)."""
        return int(self.index.ntotal) - len(self.deleted) + sum(len(i) for i, _ in self._buffer)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(ids) == 0:
            return
        if len(self.deleted):  # same content hash, same vector: revive the tombstone
            revived = np.isin(ids, self.deleted)
            if revived.any():
                self.deleted = self.deleted[~np.isin(self.deleted, ids[revived])]
                ids, vectors = ids[~revived], vectors[~revived]
        if self._origin is not None:
            self._added.append((ids, vectors))
        if self.spec.kind == "ivf" and not self.index.is_trained:
            self._buffer.append((ids, vectors))
            if sum(len(i) for i, _ in self._buffer) >= train_size(self.spec):
                self.finish()
            return
        self.index.add_with_ids(vectors, ids)

    def finish(self) -> None:
        """Train an IVF index on what was buffered (every vector, if fewer than a sample)."""
        if not self._buffer:
            return
        ids = np.concatenate([i for i, _ in self._buffer])
        vectors = np.concatenate([v for _, v in self._buffer])
        self._buffer = []
        self._origin = None  # trained now: the file on disk no longer describes it
        if not self.index.is_trained:
            if len(vectors) < self.spec.nlist:  # too few to train: fewer clusters
                spec = replace(self.spec, nlist=max(1, len(vectors)))
                self.spec, self.index = spec, DenseIndex.create(spec, self.dim).index
                self._configure()
            self.index.train(vectors)
        self.index.add_with_ids(vectors, ids)

    def calibrate(self, target: float = TARGET_RECALL, queries: int = CALIBRATION_QUERIES,
                  k: int = 10, seed: int = 0) -> float:
        """Set an IVF index's nprobe to the smallest power of two whose recall@``k`` against
        an exhaustive scan reaches ``target``. Returns the recall.

        See ``calibration.measure_nprobe``.
        """
        if self.spec.kind != "ivf" or self.ntotal < 2 * k:
            return 1.0
        nprobe, recall = measure_nprobe(self.index, self.spec.nlist, target=target,
                                        queries=queries, k=k, seed=seed)
        self.spec = replace(self.spec, nprobe=nprobe, calibrated_size=self.ntotal,
                            calibrated_recall=recall)
        self._configure()
        return recall

    def remove(self, ids: np.ndarray) -> None:
        import faiss

        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        self.finish()
        if self._origin is not None:
            # Ids added since loading leave the delta; the rest are removed from the file.
            added_ids, _ = self._delta_added()
            self._removed = np.union1d(self._removed, ids[~np.isin(ids, added_ids)])
            self._added = [(i[keep], v[keep]) for i, v in self._added
                           if (keep := ~np.isin(i, ids)).any()]
        if self.spec.kind == "hnsw":
            self.deleted = np.union1d(self.deleted, ids)
        elif self.spec.kind == "ivf":
            self.index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids)))
        else:
            self.index.remove_ids(ids)

    @property
    def needs_rebuild(self) -> bool:
        if self.spec.kind == "hnsw":
            return len(self.deleted) > TOMBSTONE_LIMIT * max(int(self.index.ntotal), 1)
        if self.spec.kind == "ivf":
            return self.ntotal > IVF_GROWTH_LIMIT * max(self.spec.trained_size, 1)
        return False

    # ------------------------------------------------------------ reading

    def reconstruct(self, row_id: int) -> np.ndarray:
        return self.index.reconstruct(int(row_id))

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_batch(ids)

    def _params(self, sel, widen: float = 1.0):
        import faiss

        if self.spec.kind == "ivf":
            nprobe = min(self.spec.nlist, max(1, int(self.index.nprobe * widen)))
            return faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
        if self.spec.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=sel, efSearch=int(self.spec.ef_search * widen))
        return faiss.SearchParameters(sel=sel) if sel is not None else None

    def _raw_search(self, qvec: np.ndarray, n: int, sel=None, widen: float = 1.0):
        params = self._params(sel, widen)
        if self.spec.kind == "hnsw":
            params.efSearch = max(params.efSearch, n)
        # FAISS's thread count is process-wide: set once at start-up (assistant.runtime).
        scores, ids = self.index.search(qvec[None, :].astype(np.float32), n, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _not_deleted(self):
        import faiss

        if not len(self.deleted):
            return None
        batch = faiss.IDSelectorBatch(self.deleted)
        sel = faiss.IDSelectorNot(batch)
        sel.referenced = batch  # keep the inner selector alive
        return sel

    def exact(self, qvec: np.ndarray, n: int, ids: np.ndarray) -> list[tuple[int, float]]:
        """Exact top ``n`` among ``ids`` by reconstructing their vectors (in blocks)."""
        best_ids, best_scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        for start in range(0, len(ids), EXACT_LIMIT):
            block = ids[start:start + EXACT_LIMIT]
            scores = self.reconstruct_batch(block) @ qvec
            best_ids = np.concatenate([best_ids, block])
            best_scores = np.concatenate([best_scores, scores.astype(np.float32)])
            if len(best_ids) > n:
                top = np.argpartition(-best_scores, n - 1)[:n]
                best_ids, best_scores = best_ids[top], best_scores[top]
        order = np.argsort(-best_scores, kind="stable")[:n]
        return [(int(best_ids[i]), float(best_scores[i])) for i in order]

    def search(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None
               ) -> list[tuple[int, float]]:
        """Top ``n`` (id, inner product); ``allowed`` is a sorted id array or None."""
        import faiss

        self.finish()
        total = self.ntotal
        n = min(n, total if allowed is None else len(allowed))
        if n <= 0:
            return []
        if allowed is None:
            ids, scores = self._raw_search(qvec, n, self._not_deleted())
            return list(zip(ids.tolist(), scores.tolist(), strict=True))
        if self.spec.kind == "hnsw" and len(allowed) <= EXACT_LIMIT:
            return self.exact(qvec, n, allowed)  # a filtered graph walk misses too much
        if self.spec.kind != "flat" and len(allowed) >= OVERFETCH_FRACTION * total:
            want = min(total, math.ceil(n * total / len(allowed) * OVERFETCH_FACTOR), 2048)
            ids, scores = self._raw_search(qvec, want, self._not_deleted(), OVERFETCH_WIDEN)
            pos = np.minimum(np.searchsorted(allowed, ids), len(allowed) - 1)
            ok = allowed[pos] == ids
            if ok.sum() >= n:
                return list(zip(ids[ok][:n].tolist(), scores[ok][:n].tolist(), strict=True))
        sel = faiss.IDSelectorBatch(allowed)
        widen = 1.0 if self.spec.kind == "flat" else 4.0
        ids, scores = self._raw_search(qvec, n, sel, widen)
        if len(ids) < n and self.spec.kind != "flat":
            return self.exact(qvec, n, allowed)
        return list(zip(ids.tolist(), scores.tolist(), strict=True))
