"""How a dense index is built: its kind, storage and search knobs, recorded in the manifest.

``choose_spec`` turns the settings and the size of the archive into a spec: ``auto`` is an
exact flat index below ``Settings.ann_threshold`` chunks and IVF from there (README, "Scale").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from assistant.settings import IndexType, Settings, choices

__all__ = ["DENSE_KINDS", "DenseSpec", "choose_spec", "train_size"]

DENSE_KINDS = tuple(kind for kind in choices(IndexType) if kind != "auto")


@dataclass(frozen=True)
class DenseSpec:
    """How the dense index is built; recorded in the manifest."""

    kind: str = "flat"
    storage: str = "float32"   # float32 | float16
    nlist: int = 0             # ivf: clusters
    nprobe: int = 32           # ivf: clusters searched (measured when auto_nprobe)
    auto_nprobe: bool = False  # ivf: nprobe chosen by calibrate(), not by the settings
    calibrated_size: int = 0   # ivf: vectors when nprobe was last measured
    calibrated_recall: float = 0.0  # ivf: recall@10 against exhaustive search at nprobe
    hnsw_m: int = 32
    ef_search: int = 128
    trained_size: int = 0      # ivf: vectors it was sized for

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> DenseSpec:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def description(self) -> str:
        if self.kind == "flat":
            return "IndexIDMap2(IndexFlatIP)"
        if self.kind == "ivf":
            inner = "IndexIVFScalarQuantizer(fp16)" if self.storage == "float16" \
                else "IndexIVFFlat"
            return f"{inner}(nlist={self.nlist})"
        inner = "IndexHNSWSQ(fp16)" if self.storage == "float16" else "IndexHNSWFlat"
        return f"IndexIDMap2({inner}(M={self.hnsw_m}))"


def choose_spec(settings: Settings, n: int) -> DenseSpec:
    """The spec for an index of ``n`` vectors under ``settings``."""
    kind = settings.index_type
    if kind == "auto":
        kind = "flat" if n < settings.ann_threshold else "ivf"
    storage = settings.vector_storage
    if storage == "auto":
        storage = "float32" if kind == "flat" else "float16"
    nlist = 0
    if kind == "ivf":
        # 4·sqrt(n) lists: at 1M synthetic chunks, sqrt(n) lists needed 256 probes for 0.89
        # recall@10, 4·sqrt(n) reach 0.986 at 256 probes in a third of the time (README).
        nlist = int(min(16_384, max(16, round(4 * math.sqrt(max(n, 1))))))
    auto = settings.ivf_nprobe <= 0
    return DenseSpec(kind=kind, storage=storage, nlist=nlist,
                     nprobe=32 if auto else settings.ivf_nprobe, auto_nprobe=auto,
                     hnsw_m=settings.hnsw_m, ef_search=settings.hnsw_ef_search,
                     trained_size=n if kind == "ivf" else 0)


def train_size(spec: DenseSpec) -> int:
    """Vectors an IVF index buffers before it trains on them."""
    return max(40 * spec.nlist, 10_000)
