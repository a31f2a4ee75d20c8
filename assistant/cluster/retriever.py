"""The router: a retriever over a cluster's shards, with ``Retriever``'s ``search``.

A search embeds the query once, then fans out to every shard twice: for the BM25
statistics of the query's terms (summed, so scores compare across shards, exactly), then
for the ``Candidates`` of a ``Probe`` carrying those sums and the filters (applied in each
shard). The merged candidates are ranked by the one implementation (``search.ranking``),
and the passages fetched from the shards that hold them. N shards return the same ``Hit``s
as one index of the whole archive (``tests/cluster``).

A call to a replica that dies is retried on another replica of that shard until
``cluster_timeout_s``; a shard with no live replica by then is left out and the results
say so (``Hits.partial``), never silently. ``Assistant``, REST, /v1, MCP and the page sit
on this unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.index.lexical import TermStats, Tokenizer
from assistant.index.shards import ClusterManifest, shard_name, shard_of
from assistant.records import Chunk, Hit, Hits, PartialResults
from assistant.search.candidates import Probe
from assistant.search.filters import Filters
from assistant.search.ranking import hits_of, ranked
from assistant.search.retriever import MAX_QUERY_CHARS, check_request
from assistant.search.thread import MAX_THREAD_PASSAGES, Thread, thread_of
from assistant.search.timeline import Timeline, bucketed, check_granularity
from assistant.settings import Settings

__all__ = ["ArchiveFacts", "ClusterRetriever", "InProcessShard", "ReplicaLost", "ServeShard",
           "ShardUnavailable"]

RETRY_PAUSE_S = 0.05
FACTS_S = 30.0


class ShardUnavailable(RuntimeError):
    """A shard had no live replica that answered in time."""


class ArchiveFacts:
    """The archive-wide facts a page and a question reader use, merged from the shards."""

    def __init__(self, path: str, authors: list[str], span: tuple[str, str] | None,
                 discussed: list[tuple[str, int]]):
        self.path, self._authors, self._span, self._discussed = path, authors, span, discussed

    @classmethod
    def merged(cls, infos: list[dict]) -> ArchiveFacts:
        versions = "+".join(str(i.get("version")) for i in infos)
        authors = list(dict.fromkeys(a for i in infos for a in i.get("authors", [])))
        spans = [i["span"] for i in infos if i.get("span")]
        span = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None
        discussed = sorted((tuple(d) for i in infos for d in i.get("discussed", [])),
                           key=lambda d: -d[1])
        return cls(versions, authors, span, discussed)

    def authors(self, limit: int = 300) -> list[str]:
        return self._authors[:limit]

    def date_span(self) -> tuple[str, str] | None:
        return self._span

    def most_discussed(self, limit: int = 3) -> list[tuple[str, int]]:
        return self._discussed[:limit]


class _Signed:
    """``sign_offs`` across the shards (a sign-off lives in its passage's post's shard)."""

    def __init__(self, router: ClusterRetriever, owner: dict[int, int], missing: set[int]):
        self.router, self.owner, self.missing = router, owner, missing

    def sign_offs(self, row_ids: list[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for shard, ids in _by_shard(row_ids, self.owner).items():
            try:
                found.update(self.router.call(shard, "sign_offs", ids))
            except ShardUnavailable:
                self.missing.add(shard)
        for row_id, extra in found.items():
            self.owner.setdefault(extra, self.owner[row_id])
        return found


class ReplicaLost(RuntimeError):
    """One call found no replica alive to answer it (it may be retried)."""


class ServeShard:
    """A shard's calls through its Ray Serve deployment handle."""

    def __init__(self, handle):
        self.handle = handle

    def __call__(self, method: str, args: tuple, timeout: float):
        from ray.exceptions import RayError, RayTaskError

        try:
            return self.handle.options(method_name=method).remote(*args).result(
                timeout_s=timeout)
        except RayTaskError as exc:
            # the shard's own exception (a bad request) fails at once, as on one machine
            if isinstance(exc.cause, RayError):
                raise ReplicaLost(str(exc.cause)[:300]) from exc
            raise exc.cause from exc
        except Exception as exc:  # a replica or node that died, or did not answer in time
            raise ReplicaLost(f"{type(exc).__name__}: {str(exc)[:300]}") from exc


class InProcessShard:
    """A shard served in this process (one machine; the tests of the merge without Ray)."""

    def __init__(self, service):
        self.service = service

    def __call__(self, method: str, args: tuple, timeout: float):
        return getattr(self.service, method)(*args)


def _by_shard(ids: Iterable[int], owner: dict[int, int]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for row_id in ids:
        if row_id in owner:
            grouped.setdefault(owner[row_id], []).append(int(row_id))
    return grouped


class ClusterRetriever:
    """Search a sharded index served by Ray Serve (``cluster.service.deploy``)."""

    def __init__(self, shards: list, embedder: Embedder, *, settings: Settings,
                 index_dir: Path | None = None):
        self.shards = shards  # ``ServeShard``s, or any callable (method, args, timeout)
        self.embedder = embedder
        self.fusion, self.bm25_weight = settings.fusion, settings.bm25_weight
        self.timeout_s = settings.cluster_timeout_s
        self.index_dir = index_dir
        self._tokenize = Tokenizer()
        self._pool = ThreadPoolExecutor(max(2, len(shards)), thread_name_prefix="shards")
        self._facts: ArchiveFacts | None = None
        self._facts_at = 0.0

    @classmethod
    def open(cls, address: str, index_dir: str | Path = "index", *,
             settings: Settings | None = None, embedder: Embedder | None = None
             ) -> ClusterRetriever:
        """The shards of ``index_dir`` as served on the cluster at ``address``."""
        from ray import serve

        from assistant.cluster.nodes import connect
        from assistant.cluster.service import app_name

        settings = settings or Settings.from_env()
        manifest = ClusterManifest.read(Path(index_dir))
        if manifest is None:
            raise FileNotFoundError(f"no cluster index in {index_dir}: build one with "
                                    "`python -m assistant index --cluster ADDRESS`")
        connect(address)
        shards = [ServeShard(serve.get_deployment_handle(shard_name(i), app_name(i)))
                  for i in range(manifest.shards)]
        return cls(shards, embedder or Embedder.from_settings(settings), settings=settings,
                   index_dir=Path(index_dir))

    # ------------------------------------------------------------ fan-out

    def call(self, shard: int, method: str, *args):
        """``method`` on a replica of ``shard``, retried on another replica when one dies
        or does not answer, until ``timeout_s``; ``ShardUnavailable`` after that."""
        deadline = time.monotonic() + self.timeout_s
        last: BaseException | None = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ShardUnavailable(f"{shard_name(shard)}: {last or 'no answer'}")
            try:
                return self.shards[shard](method, args, left)
            except ReplicaLost as exc:
                last = exc
                time.sleep(RETRY_PAUSE_S)

    def fan_out(self, method: str, *args, shards: Iterable[int] | None = None
                ) -> tuple[dict[int, object], set[int]]:
        """``method`` on every shard (or ``shards``) at once: answers, and those missing."""
        shards = list(range(len(self.shards))) if shards is None else list(shards)
        futures = {s: self._pool.submit(self.call, s, method, *args) for s in shards}
        answers, missing = {}, set()
        for shard, future in futures.items():
            try:
                answers[shard] = future.result()
            except ShardUnavailable:
                missing.add(shard)
        return answers, missing

    # ------------------------------------------------------------ search

    # The public signature is ``Retriever.search``'s, hence 7 arguments.
    def search(self, query: str, k: int = 5, since: str | date | None = None,  # noqa: PLR0913
               until: str | date | None = None, kind: str | None = None,
               author: str | None = None, mode: str = "hybrid") -> Hits:
        """The ``k`` best passages of the whole archive, as ``Retriever.search`` gives them;
        ``partial`` names the shards that did not answer."""
        check_request(query, k, mode)
        filters = Filters.make(since, until, kind, author)
        vector = self.embedder.embed_query(query)
        missing: set[int] = set()
        stats = None
        if mode != "dense":
            parts, missing = self.fan_out("term_stats", self._tokenize(query))
            stats = sum(parts.values(), TermStats())
        probe = Probe(query, vector, max(50, 4 * k), filters, mode, stats)
        answers, lost = self.fan_out("candidates", probe,
                                     shards=set(range(len(self.shards))) - missing)
        missing |= lost
        owner = {int(i): s for s, part in answers.items()
                 for i in [*(i for i, _ in part.dense), *part.ids.tolist()]}
        parts = [answers[s] for s in sorted(answers)]
        ordered = ranked(parts, probe, k, self.fusion, self.bm25_weight,
                         _Signed(self, owner, missing))
        hits = Hits(hits_of(ordered, k, lambda ids: self._passages(ids, owner, vector,
                                                                   missing)))
        if missing:
            hits.partial = PartialResults(tuple(shard_name(s) for s in sorted(missing)),
                                          len(self.shards))
        return hits

    def _passages(self, ids: list[int], owner: dict[int, int], vector: np.ndarray,
                  missing: set[int]) -> dict[int, tuple[Chunk, float]]:
        found: dict[int, tuple[Chunk, float]] = {}
        grouped = _by_shard(ids, owner)
        futures = {s: self._pool.submit(self.call, s, "passages", part, vector)
                   for s, part in grouped.items()}
        for shard, future in futures.items():
            try:
                found.update(future.result())
            except ShardUnavailable:
                missing.add(shard)
        return found

    # ------------------------------------------------------------ the rest of a retriever

    def thread(self, post_id: str) -> Thread:
        """The post with its comments, from the one shard that holds it."""
        shard = shard_of(str(post_id), len(self.shards))
        chunks, count = self.call(shard, "post_chunks", str(post_id), MAX_THREAD_PASSAGES + 1)
        left_out = max(0, count - MAX_THREAD_PASSAGES)
        thread = thread_of(chunks[:MAX_THREAD_PASSAGES], left_out)
        if thread is None:
            raise KeyError(f"no post {str(post_id)[:80]!r} in the index")
        return thread

    def timeline(self, query: str | None = None, since: str | date | None = None,
                 until: str | date | None = None, kind: str | None = None,
                 author: str | None = None, granularity: str = "auto") -> Timeline:
        """``Retriever.timeline`` over every shard: each counts its documents (a post and
        its comments live in one shard) with the whole archive's IDF weights."""
        if query is not None and len(query) > MAX_QUERY_CHARS:
            raise ValueError(f"the query is too long ({len(query)} characters, "
                             f"limit {MAX_QUERY_CHARS})")
        check_granularity(granularity)
        filters = Filters.make(since, until, kind, author)
        stats = None
        if query is not None and query.strip():
            parts, _ = self.fan_out("term_stats", self._tokenize(query))
            stats = sum(parts.values(), TermStats())
        answers, missing = self.fan_out("timeline_documents", query, filters, stats)
        if missing:
            raise ShardUnavailable(f"the timeline needs every shard; "
                                   f"{', '.join(shard_name(s) for s in sorted(missing))} "
                                   "did not answer")
        days = np.concatenate([np.zeros(0, np.int32), *(a[0] for a in answers.values())])
        comments = np.concatenate([np.zeros(0, bool), *(a[1] for a in answers.values())])
        return bucketed(days, comments, granularity, query)

    def previous_text(self, hit: Hit) -> str | None:
        shard = shard_of(hit.post_id, len(self.shards))
        try:
            return self.call(shard, "previous_text", hit.chunk_id)
        except ShardUnavailable:
            return None

    def stats(self) -> dict[str, object]:
        """Counts summed over the shards, with each shard's own."""
        infos, missing = self.fan_out("info")
        shards = [infos[s] for s in sorted(infos)]
        summed = {name: sum(int(i.get("stats", {}).get(name, 0)) for i in shards)
                  for name in ("posts", "comments", "chunks", "index_bytes")}
        first = next((i["stats"] for i in shards if "stats" in i), {})
        return {**summed, "embedding_model": first.get("embedding_model"),
                "embedding_dim": first.get("embedding_dim"),
                "dense_index": first.get("dense_index"), "blog_titles":
                    first.get("blog_titles", []),
                "shards": [{"shard": i["shard"], "version": i["version"],
                            "chunks": i["chunks"]} for i in shards],
                "missing_shards": [shard_name(s) for s in sorted(missing)]}

    @property
    def store(self) -> ArchiveFacts:
        """What the page and the question reader ask of "the store": signed names, the date
        span, the most discussed posts, merged over the shards (read at most every
        ``FACTS_S``)."""
        if self._facts is None or time.monotonic() - self._facts_at > FACTS_S:
            infos, _ = self.fan_out("info")
            self._facts = ArchiveFacts.merged([infos[s] for s in sorted(infos)])
            self._facts_at = time.monotonic()
        return self._facts

    def refresh(self) -> bool:
        """Shards follow ``cluster.json`` themselves (within a second of a publish)."""
        return False

    def close(self) -> None:
        self._pool.shutdown(wait=False)
