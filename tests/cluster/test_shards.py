"""A sharded index, built and searched in this process (no Ray): the merge is exact, the
build is incremental per shard, and a lost shard is reported, never silent."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.answer.assistant import Assistant
from assistant.cluster.ingest import index_on_cluster
from assistant.cluster.retriever import ClusterRetriever, InProcessShard, ReplicaLost
from assistant.cluster.service import ShardService
from assistant.embed.fake import FakeEmbedder
from assistant.index import IndexStore, build_index
from assistant.index.shards import ClusterManifest, shard_folder, shard_of
from assistant.search.retriever import Retriever
from assistant.settings import Settings

from ..conftest import REPO
from .helpers import FILTERS, answers, questions, top_ids


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The shipped corpus as one index and as a three-shard cluster index (fake vectors)."""
    root = tmp_path_factory.mktemp("shards")
    shutil.copytree(REPO / "corpus", root / "corpus")
    settings = Settings.from_env(index_check_ms=0, cache_dir=REPO / ".cache")
    build_index(root / "corpus", root / "one", settings=settings, embedder=FakeEmbedder())
    report = index_on_cluster(None, root / "corpus", root / "cluster", settings=settings,
                              shards=3, make_embedder=FakeEmbedder)
    return root, settings, report


def _router(index: Path, shards: int, settings: Settings, calls: dict | None = None
            ) -> ClusterRetriever:
    calls = calls or {}
    given = [calls.get(i) or InProcessShard(ShardService(str(index), i)) for i in range(shards)]
    return ClusterRetriever(given, FakeEmbedder(), settings=settings)


def test_posts_go_to_one_stable_shard():
    assert shard_of("post-1", 4) == shard_of("post-1", 4)
    counts = [0] * 4
    for i in range(4000):
        counts[shard_of(f"post-{i}", 4)] += 1
    assert min(counts) > 800  # sha256 spreads posts evenly


def test_every_post_and_its_comments_share_a_shard(built):
    root, _, report = built
    manifest = ClusterManifest.read(root / "cluster")
    assert manifest.shards == 3 and all(manifest.versions)
    seen: dict[str, int] = {}
    total = 0
    for shard in range(3):
        store = IndexStore.open(shard_folder(root / "cluster", shard))
        for chunk in store.chunks_by_ids(store.all_ids().tolist()).values():
            assert shard_of(chunk.post_id, 3) == shard
            assert seen.setdefault(chunk.post_id, shard) == shard
            total += 1
        store.close()
    one = IndexStore.open(root / "one")
    assert total == one.count() == report.chunks_total
    one.close()


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_shards_rank_as_one_index(built, mode):
    root, settings, _ = built
    one = Retriever(IndexStore.open(root / "one"), FakeEmbedder())
    router = _router(root / "cluster", 3, settings)
    differ = [(item["question"], options) for item in questions() for options in FILTERS
              if top_ids(one, item["question"], mode=mode, **options)
              != top_ids(router, item["question"], mode=mode, **options)]
    assert differ == []


def test_scores_and_cosines_match_one_index(built):
    root, settings, _ = built
    one = Retriever(IndexStore.open(root / "one"), FakeEmbedder())
    router = _router(root / "cluster", 3, settings)
    for item in questions()[:10]:
        a, b = one.search(item["question"], k=10), router.search(item["question"], k=10)
        assert [h.chunk_id for h in a] == [h.chunk_id for h in b]
        score_gaps = [abs(x.score - y.score) for x, y in zip(a, b, strict=True)]
        cosine_gaps = [abs(x.dense_score - y.dense_score) for x, y in zip(a, b, strict=True)]
        assert max(score_gaps, default=0.0) < 1e-5
        assert max(cosine_gaps, default=0.0) < 1e-5


def test_shards_answer_as_one_index(built):
    root, settings, _ = built
    one = Assistant(Retriever(IndexStore.open(root / "one"), FakeEmbedder()),
                    settings=settings)
    router = Assistant(_router(root / "cluster", 3, settings), settings=settings)
    items = questions()
    assert answers(router, items) == answers(one, items)


def test_timeline_and_thread_and_stats_match_one_index(built):
    root, settings, _ = built
    one = Retriever(IndexStore.open(root / "one"), FakeEmbedder())
    router = _router(root / "cluster", 3, settings)
    for subject in (None, "pay freeze", "redundancy terms", "voluntary sector"):
        for options in FILTERS:
            assert router.timeline(subject, **options) == one.timeline(subject, **options)
    hit = one.search("What did readers say about the pay freeze?", k=1)[0]
    assert router.thread(hit.post_id) == one.thread(hit.post_id)
    assert router.previous_text(hit) == one.previous_text(hit)
    with pytest.raises(KeyError):
        router.thread("no-such-post")
    stats, own = router.stats(), one.stats()
    assert (stats["posts"], stats["comments"], stats["chunks"]) == (
        own["posts"], own["comments"], own["chunks"])
    assert router.store.date_span() == one.store.date_span()
    assert set(router.store.authors(300)) == set(one.store.authors(300))


def test_a_lost_shard_gives_partial_results_and_says_so(built):
    root, settings, _ = built
    lost = []

    def dead(method, args, timeout):
        lost.append(method)
        raise ReplicaLost("no replica alive")

    settings = Settings.from_env(index_check_ms=0, cluster_timeout_s=0.3,
                                 cache_dir=REPO / ".cache")
    router = _router(root / "cluster", 3, settings, {1: dead})
    hits = router.search("What did readers say about the pay freeze?", k=10)
    assert hits.partial is not None and hits.partial.missing == ("shard-001",)
    assert "1 of 3 archive shards (shard-001) did not answer" in hits.partial.message
    assert len(lost) > 1  # retried until the timeout, not given up at once
    assert all(shard_of(h.post_id, 3) != 1 for h in hits)
    answer = Assistant(router, settings=settings).ask(
        "What did readers say about the pay freeze?", backend="extractive")
    assert answer.partial is not None and "Partial results" in answer.notice
    assert answer.as_dict()["partial_results"]["missing_shards"] == ["shard-001"]
    whole = _router(root / "cluster", 3, settings).search("pay freeze", k=5)
    assert whole.partial is None


def test_a_bad_request_fails_at_once_as_on_one_machine(built):
    root, settings, _ = built
    router = _router(root / "cluster", 3, settings)
    for bad in ({"k": 0}, {"mode": "fuzzy"}, {"since": "yesterday"}):
        with pytest.raises(ValueError):
            router.search("pay", **bad)
    with pytest.raises(ValueError):
        router.search("")


def test_the_build_is_incremental_per_shard(built, tmp_path):
    root, settings, _ = built
    shutil.copytree(root / "corpus", tmp_path / "corpus")
    shutil.copytree(root / "cluster", tmp_path / "cluster")
    again = index_on_cluster(None, tmp_path / "corpus", tmp_path / "cluster",
                             settings=settings, shards=3, make_embedder=FakeEmbedder)
    assert again.shards_written == () and again.chunks_embedded == 0
    assert {f.status for f in again.files} <= {"unchanged", "attached"}

    new = tmp_path / "corpus" / "added.txt"
    new.write_text("Monday 2 March 2020\n\nA New Post About Lighthouses\n\nThe lighthouse "
                   "keepers of the probation service met at dawn to discuss the tides.\n")
    added = index_on_cluster(None, tmp_path / "corpus", tmp_path / "cluster",
                             settings=settings, shards=3, make_embedder=FakeEmbedder)
    assert len(added.shards_written) == 1 and added.chunks_embedded == 1
    router = _router(tmp_path / "cluster", 3, settings)
    assert "lighthouse" in router.search("lighthouse keepers tides", k=1)[0].text

    new.unlink()
    removed = index_on_cluster(None, tmp_path / "corpus", tmp_path / "cluster",
                               settings=settings, shards=3, make_embedder=FakeEmbedder)
    assert removed.shards_written == added.shards_written and removed.chunks_embedded == 0
    assert [f.status for f in removed.files if f.source == "added.txt"] == ["removed"]
    assert removed.chunks_total == built[2].chunks_total
    with pytest.raises(ValueError, match="re-shard"):
        index_on_cluster(None, tmp_path / "corpus", tmp_path / "cluster", settings=settings,
                         shards=2, make_embedder=FakeEmbedder)


def test_a_file_that_stops_parsing_keeps_what_was_indexed(built, tmp_path):
    root, settings, _ = built
    shutil.copytree(root / "corpus", tmp_path / "corpus")
    shutil.copytree(root / "cluster", tmp_path / "cluster")
    victim = sorted((tmp_path / "corpus").glob("*.txt"))[0]
    victim.write_bytes(b"")
    report = index_on_cluster(None, tmp_path / "corpus", tmp_path / "cluster",
                              settings=settings, shards=3, make_embedder=FakeEmbedder)
    skipped = [f for f in report.files if f.status == "skipped"]
    assert skipped and "kept the previously indexed version" in skipped[0].reason
    assert report.chunks_total == built[2].chunks_total


def test_import_assistant_stays_free_of_ray():
    code = ("import sys, assistant, assistant.cli, assistant.search, assistant.index.shards;"
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True)
    assert out.stdout.strip() == "False"
