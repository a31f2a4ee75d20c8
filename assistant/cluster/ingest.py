"""Distributed ingestion: ``index_on_cluster`` builds or updates a sharded index on Ray.

1. The driver lists the corpus and compares it with the last cluster manifest
   (``index.shards.scan_corpus``): only new and changed files are parsed.
2. Ray Data parses and chunks those files on the cluster's CPU workers (``parse_for_plan``,
   the one machine's parser). A Disqus export is read again here with every post's
   address, as one machine reads it.
3. Each chunk goes to the shard of its post (``shard_of``); the chunks a shard does not
   store yet are embedded by a pool of stateful actors (``map_batches`` with a class: one
   model load per actor; one GPU per actor when the cluster has GPUs).
4. Each shard whose passages changed is written as an ordinary index version by the
   existing build code (``build_from_sources``, in a Ray task), reusing the vectors it
   stores; then ``cluster.json`` names the new set of versions in one atomic rename.

Trap (measured): actors that hold every CPU starve the read and parse tasks, and a Ray
Data job then waits forever. Actors ask for ``EMBED_CPUS`` and parse tasks for
``PARSE_CPUS``, so give nodes at least ``EMBED_CPUS + PARSE_CPUS`` logical CPUs, and do not
run ingestion while Serve replicas hold the rest.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np

from assistant.cluster.nodes import connect
from assistant.embed.embedder import Embedder
from assistant.embed.precomputed import PrecomputedVectors, text_key
from assistant.index.build import build_from_sources
from assistant.index.files import FileRow
from assistant.index.integrity import current_folder
from assistant.index.manifest import Manifest
from assistant.index.parse_pool import Parsed, ParseJob, chunker_config, parse_for_plan
from assistant.index.plan import ToParse
from assistant.index.report import FileReport
from assistant.index.shards import (
    ClusterManifest,
    ShardWork,
    scan_corpus,
    settle,
    shard_folder,
    shard_work,
)
from assistant.index.store import CHUNKS_FILE, ChunkStore
from assistant.ingest.exports import link_key
from assistant.ingest.imported import PostLink
from assistant.settings import Settings

__all__ = ["EMBED_CPUS", "PARSE_CPUS", "ClusterBuild", "index_on_cluster"]

EMBED_CPUS = 1.0  # logical CPUs an embedding actor holds (see the trap above)
PARSE_CPUS = 0.5
WRITE_CPUS = 0.5
EMBED_BATCH = 64  # passages per actor call, as a one-machine build batches them


@dataclass(frozen=True)
class ClusterBuild:
    """What one ``index_on_cluster`` call did, and how long each stage took."""

    files: tuple[FileReport, ...]
    shards: int
    shards_written: tuple[int, ...]
    chunks_embedded: int
    chunks_total: int
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)  # parse, embed, write seconds
    versions: tuple[str | None, ...] = ()

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for report in self.files:
            counts[report.status] = counts.get(report.status, 0) + 1
        listed = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return (f"cluster index: {self.chunks_total} chunks in {self.shards} shards; "
                f"{self.chunks_embedded} embedded, shards written "
                f"{list(self.shards_written) or 'none'}; files: {listed or 'none'} "
                f"({self.seconds:.1f} s: " + ", ".join(
                    f"{k} {v:.1f} s" for k, v in self.stages.items()) + ")")


class _EmbedActor:
    """A Ray Data actor: loads its embedder once, then embeds batch after batch."""

    def __init__(self, make_embedder: Callable[[], Embedder]):
        self.embedder = make_embedder()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        vectors = self.embedder.embed_documents(texts)
        return {"key": np.asarray([text_key(t) for t in texts], dtype=object),
                "vector": np.asarray(vectors, np.float32)}


def _parse_row(row: dict) -> dict:
    return {"i": row["i"], "parsed": pickle.dumps(parse_for_plan(pickle.loads(row["job"])))}


@dataclass(frozen=True)
class _Vectors:
    """What every shard's writer is given of the embedding: the model and dimension."""

    model_id: str
    dimension: int
    settings: Settings


def _write_shard(folder: str, work: ShardWork, vectors: dict[bytes, np.ndarray],
                 given: _Vectors, rebuild: bool) -> str:
    """In a Ray task: write one shard's next version with the existing build code."""
    embedder = PrecomputedVectors(vectors, given.model_id, given.dimension)
    report = build_from_sources(work.rows, work.changed, folder, settings=given.settings,
                                embedder=embedder, rebuild=rebuild)
    return report.version


def _previous_shard(folder: Path, model_id: str, chunker: dict) -> ChunkStore | None:
    """The shard's published store, when its vectors and chunking can be reused."""
    version = current_folder(folder)
    if version is None or not (version / CHUNKS_FILE).is_file():
        return None
    try:
        manifest = Manifest.read(version)
    except (OSError, ValueError):
        return None
    if manifest.embedding_model != model_id or manifest.chunker != chunker:
        return None
    return ChunkStore.read(version / CHUNKS_FILE)


def _parse(jobs: list[ParseJob], on_ray: bool) -> list[Parsed]:
    """Ray Data: parse and chunk ``jobs`` on the cluster's workers, results in job order."""
    if not jobs:
        return []
    if not on_ray:
        return [parse_for_plan(job) for job in jobs]
    import ray

    items = [{"i": i, "job": pickle.dumps(job)} for i, job in enumerate(jobs)]
    blocks = max(1, min(len(items), int(ray.cluster_resources().get("CPU", 1)) * 4))
    rows = ray.data.from_items(items, override_num_blocks=blocks).map(
        _parse_row, num_cpus=PARSE_CPUS).take_all()
    return [pickle.loads(row["parsed"]) for row in sorted(rows, key=lambda r: r["i"])]


def _embed(texts: list[str], make_embedder: Callable[[], Embedder], embedders: int,
           on_ray: bool) -> dict[bytes, np.ndarray]:
    """Ray Data: embed ``texts`` on a pool of stateful actors; vectors by ``text_key``."""
    if not texts:
        return {}
    if not on_ray:
        actor = _EmbedActor(make_embedder)
        done = actor({"text": np.asarray(texts, dtype=object)})
        return dict(zip((bytes(k) for k in done["key"]), done["vector"], strict=True))
    import ray

    gpus = int(ray.cluster_resources().get("GPU", 0))
    if embedders <= 0:
        embedders = gpus or max(1, sum(1 for n in ray.nodes() if n["Alive"]))
    per_actor = {"num_gpus": 1} if gpus else {"num_cpus": EMBED_CPUS}
    blocks = max(1, min(len(texts) // EMBED_BATCH + 1, embedders * 8))
    size = min(embedders, gpus) if gpus else embedders
    out = ray.data.from_items([{"text": t} for t in texts], override_num_blocks=blocks) \
        .map_batches(_EmbedActor, fn_constructor_args=(make_embedder,), batch_size=EMBED_BATCH,
                     compute=ray.data.ActorPoolStrategy(size=size), **per_actor)
    table: dict[bytes, np.ndarray] = {}
    for batch in out.iter_batches(batch_size=1024, batch_format="numpy"):
        for key, vector in zip(batch["key"], batch["vector"], strict=True):
            table[bytes(key)] = np.asarray(vector, np.float32)
    return table


def _join_comment_exports(parsed: list[tuple[ToParse, Parsed]], kept: set[str],
                          stores: list[ChunkStore | None], job: Callable[..., ParseJob]
                          ) -> list[tuple[ToParse, Parsed]]:
    """Read the Disqus exports again with the archive's post addresses: those of the files
    parsed now and, from the shards, those of the files kept."""
    waiting = [i for i, (_, result) in enumerate(parsed) if result.wants_links]
    if not waiting:
        return parsed
    by_link: dict[str, PostLink] = {}
    for _, result in parsed:
        by_link.update(result.links)
    for store in stores:
        if store is None:
            continue
        for _, post_id, title, day, url in store.post_addresses(kept):
            if key := link_key(url):
                by_link.setdefault(key, PostLink(post_id, title, day, url))
    out = list(parsed)
    for i in waiting:
        item = out[i][0]
        out[i] = (item, parse_for_plan(job(item, by_link)))
    return out


# keyword options as the one-machine build takes them, hence 8 arguments
def index_on_cluster(address: str | None, corpus_dir: str | Path = "corpus",  # noqa: PLR0913
                     index_dir: str | Path = "index", *, settings: Settings | None = None,
                     shards: int | None = None,
                     make_embedder: Callable[[], Embedder] | None = None,
                     embedders: int = 0, rebuild: bool = False) -> ClusterBuild:
    """Build or update the sharded index of ``corpus_dir`` in ``index_dir`` on the Ray
    cluster at ``address`` (None: every stage in this process, no Ray). ``make_embedder``
    (picklable) makes each actor's embedder; by default the one the settings describe.
    ``embedders``: actors (0: one per GPU, or one per node)."""
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    shards = shards or settings.cluster_shards
    # Workers run in other folders (and on other machines): every path they get is absolute.
    index_dir, corpus_dir = Path(index_dir).resolve(), Path(corpus_dir).resolve()
    settings = replace(settings, cache_dir=Path(settings.cache_dir).resolve(),
                       index_dir=index_dir, corpus_dir=corpus_dir)
    make_embedder = make_embedder or partial(Embedder.from_settings, settings)
    model_id = make_embedder().model_id  # no model is loaded for its name
    chunker = chunker_config(settings).as_dict()
    old = None if rebuild else ClusterManifest.read(index_dir)
    if old is not None and old.shards != shards:
        raise ValueError(f"{index_dir} has {old.shards} shards, not {shards}: index again "
                         "with --rebuild to re-shard")
    stores = [None if rebuild else _previous_shard(shard_folder(index_dir, i), model_id,
                                                   chunker) for i in range(shards)]
    known = {row.source: row for row in old.files} if old is not None else {}
    reparse_all = old is None or any(
        store is None and old.versions[i] is not None for i, store in enumerate(stores))
    if address is not None:
        connect(address)
    stages: dict[str, float] = {}

    clock = time.perf_counter()
    scan = scan_corpus(corpus_dir, known, reparse_all)
    max_bytes, config = settings.max_file_bytes, chunker_config(settings)

    def job(item: ToParse, by_link: dict | None = None) -> ParseJob:
        return ParseJob(item.file.path, item.file.source, max_bytes, config, item.companions,
                        by_link)

    parsed = list(zip(scan.to_parse, _parse([job(t) for t in scan.to_parse], bool(address)),
                      strict=True))
    parsed = _join_comment_exports(parsed, scan.plan.keep_sources, stores, job)
    changed = settle(scan, parsed)
    stages["parse"] = time.perf_counter() - clock

    works = [shard_work(i, shards, scan.plan, changed, stores[i]) for i in range(shards)]
    clock = time.perf_counter()
    texts = sorted({c.embed_text for w in works for c in w.to_embed})
    table = _embed(texts, make_embedder, embedders, bool(address))
    stages["embed"] = time.perf_counter() - clock

    clock = time.perf_counter()
    versions = _write_shards(index_dir, works, table, stores, _Vectors(model_id, 0, settings),
                             bool(address))
    stages["write"] = time.perf_counter() - clock
    for store in stores:
        if store is not None:
            store.close()
    written = tuple(w.shard for w in works if w.writes)
    ClusterManifest(shards, tuple(versions), model_id, chunker,
                    tuple(r for r in scan.plan.file_rows if isinstance(r, FileRow))
                    ).write(index_dir)
    total = sum(row.chunks for w in works for row in w.rows)
    return ClusterBuild(tuple(r for r in scan.plan.reports if r is not None), shards, written,
                        len(texts), total, time.perf_counter() - started, stages,
                        tuple(versions))


def _write_shards(index_dir: Path, works: list[ShardWork], table: dict[bytes, np.ndarray],
                  stores: list[ChunkStore | None], given: _Vectors, on_ray: bool
                  ) -> list[str | None]:
    """Write every shard that changed, in parallel Ray tasks; each shard's version."""
    dimension = len(next(iter(table.values()))) if table else _known_dimension(index_dir,
                                                                              len(works))
    given = _Vectors(given.model_id, dimension, given.settings)
    write = _write_shard
    if on_ray:
        import ray

        write = ray.remote(num_cpus=WRITE_CPUS, max_retries=0)(_write_shard).remote
    pending = {}
    for work in works:
        if not work.writes:
            continue
        vectors = {key: table[key] for key in (text_key(c.embed_text) for c in work.to_embed)}
        pending[work.shard] = write(str(shard_folder(index_dir, work.shard)), work, vectors,
                                    given, stores[work.shard] is None)
    if on_ray:
        import ray

        pending = dict(zip(pending, ray.get(list(pending.values())), strict=True))
    versions: list[str | None] = []
    for i in range(len(works)):
        current = current_folder(shard_folder(index_dir, i))
        versions.append(pending.get(i) or (current.name if current is not None else None))
    return versions


def _known_dimension(index_dir: Path, shards: int) -> int:
    """The vectors' dimension from any shard's manifest (nothing was embedded this time)."""
    for i in range(shards):
        version = current_folder(shard_folder(index_dir, i))
        if version is not None:
            return Manifest.read(version).embedding_dim
    return 0

