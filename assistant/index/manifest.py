"""The manifest: what a version was built with, and the one check of an index against use.

``manifest.json`` in each version records the format, the embedding model and dimension,
the chunker settings, the BM25 and dense index settings, a fingerprint of the corpus, the
counts, the size and sha256 of every file, and the sha256 of the manifest's own other keys
(``integrity`` checks them; manifests written before checksums have neither, and still
open). ``Manifest`` is that record, typed; it reads and writes the same JSON (keys, values
and order) as the dict it replaces, and it still answers ``manifest["dense"]["kind"]`` for
callers that read a recorded section by name.

``Manifest.check`` states every rule by which an index does not fit the way it is about to
be used; readers raise on what it returns, a build re-embeds or re-parses, ``index_status``
calls the index stale.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType

from assistant.index.dense_spec import DenseSpec
from assistant.index.files import FileRow
from assistant.index.lexical import BM25_STEMMER, K1, B

__all__ = ["BM25_SECTION", "FORMAT_VERSION", "MANIFEST_FILE", "SELF_KEY", "Counts",
           "IndexMismatchError", "Manifest", "Mismatch", "self_digest", "settings_for"]

FORMAT_VERSION = 2  # 2: lexical/ postings replace bm25s files; dense kinds (flat/ivf/hnsw)
MANIFEST_FILE = "manifest.json"
# Recorded values, not import paths: "assistant.lexical" names the hand-written BM25 (it
# lives in assistant/index/lexical.py now) in every manifest written since format 2.
BM25_SECTION = MappingProxyType({"library": "assistant.lexical", "stemmer": BM25_STEMMER,
                                 "stopwords": "en", "method": "lucene", "k1": K1, "b": B,
                                 "fields": "title author year year text",
                                 "sentences": True})
RULES = ("format", "model", "dimension", "chunker")
SELF_KEY = "self_sha256"


def self_digest(data: Mapping) -> str:
    """The sha256 of a manifest's JSON without its ``self_sha256`` key, as ``write`` lays it
    out: a byte flipped in a manifest that still parses (a count, a size, nprobe) shows."""
    rest = {key: value for key, value in data.items() if key != SELF_KEY}
    return hashlib.sha256(json.dumps(rest, indent=2).encode()).hexdigest()


class IndexMismatchError(RuntimeError):
    """The index was built with another embedding model, dimension or format."""


def settings_for(model_id: str) -> str:
    """The environment settings that reproduce an embedder's ``model_id``."""
    model, _, backend = model_id.partition("+")
    return f"ASSISTANT_EMBEDDING_MODEL={model} ASSISTANT_EMBEDDING_BACKEND={backend or 'torch'}"


@dataclass(frozen=True)
class Counts:
    """Passages, posts and comments of a version, counted when it was written."""

    chunks: int = 0
    posts: int = 0
    comments: int = 0


@dataclass(frozen=True)
class Mismatch:
    """One way an index does not fit its use: ``rule`` is one of ``RULES``."""

    rule: str
    message: str


@dataclass(frozen=True)
class Manifest(Mapping):
    """What one index version was built with (``manifest.json``)."""

    format_version: int | None
    embedding_model: str
    embedding_dim: int
    chunker: dict[str, object]
    dense: DenseSpec
    corpus_fingerprint: str = ""
    built_at: str = ""
    counts: Counts | None = None  # None: not recorded (posts and comments are then counted)
    file_bytes: dict[str, int] = field(default_factory=dict)  # "bytes": size of each file
    # "sha256": hex digest of each file; empty in manifests written before it was recorded
    checksums: dict[str, str] = field(default_factory=dict)
    bm25: dict[str, object] = field(default_factory=lambda: dict(BM25_SECTION))

    # ------------------------------------------------------------ the rules

    def check(self, *, where: str | Path, model: str | None = None,
              dimension: int | None = None, chunker: Mapping | None = None
              ) -> tuple[Mismatch, ...]:
        """Every way this index does not fit its use; empty when it fits. ``where`` names
        the index in the messages; a rule is checked when its value is given.

        * format — written in another ``FORMAT_VERSION``: unreadable; rebuild.
        * model — embedded by another model (``Embedder.model_id``): its vectors do not mix
          with the configured model's; rebuild, or set the settings that made them.
        * dimension — query vectors of another length than the stored ones.
        * chunker — chunked with other settings: every file must be parsed again.
        """
        found = []
        if self.format_version != FORMAT_VERSION:
            found.append(Mismatch("format", (
                f"index at {where} has format {self.format_version}, this version reads "
                f"format {FORMAT_VERSION}: rebuild it with "
                "`python -m assistant index --rebuild`")))
        if model is not None and model != self.embedding_model:
            found.append(Mismatch("model", (
                f"the index at {where} was built with embedding model "
                f"{self.embedding_model!r} ({self.embedding_dim}-d) but the configured model "
                f"is {model!r}: rebuild with `python -m assistant index --rebuild` or set "
                f"{settings_for(self.embedding_model)}")))
        if dimension is not None and dimension != self.embedding_dim:
            found.append(Mismatch("dimension", (
                f"embedding model {model!r} gives {dimension}-d vectors but the index holds "
                f"{self.embedding_dim}-d vectors")))
        if chunker is not None and dict(chunker) != self.chunker:
            found.append(Mismatch("chunker", (
                f"the index at {where} was chunked with {self.chunker}, the settings ask for "
                f"{dict(chunker)}: `python -m assistant index` parses every file again")))
        return tuple(found)

    # ------------------------------------------------------------ making and reading

    @classmethod
    def for_build(cls, model: str, dimension: int, chunker: Mapping, files: Iterable[FileRow],
                  counts: Counts, dense: DenseSpec) -> Manifest:
        """The manifest of a version being written now (``file_bytes`` and ``checksums``
        filled in last)."""
        fingerprint = hashlib.sha256()
        for row in sorted(files, key=FileRow.astuple):
            fingerprint.update(f"{row.source}\x00{row.sha256}\x00{row.status}\n".encode())
        return cls(FORMAT_VERSION, model, dimension, dict(chunker), dense,
                   fingerprint.hexdigest(),
                   datetime.now(timezone.utc).isoformat(timespec="seconds"), counts)

    @classmethod
    def from_json(cls, data: Mapping) -> Manifest:
        """Read leniently: a manifest of another format must still load to say so."""
        embedding = data.get("embedding", {})
        counts = data.get("counts", {})
        return cls(
            format_version=data.get("format_version"),
            embedding_model=embedding.get("model", ""),
            embedding_dim=embedding.get("dimension", 0),
            chunker=dict(data.get("chunker", {})),
            dense=DenseSpec.from_dict(data.get("dense")),
            corpus_fingerprint=data.get("corpus_fingerprint", ""),
            built_at=data.get("built_at", ""),
            counts=Counts(counts["chunks"], counts["posts"], counts["comments"])
            if {"chunks", "posts", "comments"} <= counts.keys() else None,
            file_bytes=dict(data.get("bytes", {})),
            checksums=dict(data.get("sha256", {})),
            bm25=dict(data.get("bm25", BM25_SECTION)))

    @classmethod
    def read(cls, version_dir: Path) -> Manifest:
        return cls.from_json(json.loads((Path(version_dir) / MANIFEST_FILE).read_text()))

    def write(self, version_dir: Path) -> None:
        (Path(version_dir) / MANIFEST_FILE).write_text(json.dumps(self.to_json(), indent=2))

    def to_json(self) -> dict[str, object]:
        """The JSON form, keys in the order every version has written them."""
        data: dict[str, object] = {
            "format_version": self.format_version,
            "embedding": {"model": self.embedding_model, "dimension": self.embedding_dim},
            "chunker": dict(self.chunker),
            "bm25": dict(self.bm25),
            "dense": {"type": self.dense.description, "metric": "inner_product",
                      **self.dense.as_dict()},
            "corpus_fingerprint": self.corpus_fingerprint,
            "built_at": self.built_at,
        }
        if self.counts is not None:
            data["counts"] = {"chunks": self.counts.chunks, "posts": self.counts.posts,
                              "comments": self.counts.comments}
        data["bytes"] = dict(self.file_bytes)
        if self.checksums:
            data["sha256"] = dict(self.checksums)
            data[SELF_KEY] = self_digest(data)
        return data

    # The recorded sections by name (``manifest["embedding"]["model"]``), as when the
    # manifest was a dict: ``Retriever.manifest`` hands it to callers that read it so.
    # Built once per manifest (it is frozen), not once per key read.
    @functools.cached_property
    def _sections(self) -> dict[str, object]:
        return self.to_json()

    def __getitem__(self, key: str) -> object:
        return self._sections[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections)

    def __len__(self) -> int:
        return len(self._sections)
