"""A real two-node Ray cluster on loopback (127.0.0.2 and 127.0.0.3), started and stopped
by PID: ingestion with Ray Data and actor embedders (the real model), search through Ray
Serve replicas and the router, and what happens when replicas and nodes come and go."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time

import pytest

pytest.importorskip("ray", reason="the cluster extra is not installed: pip install '.[cluster]'")

from assistant.answer.assistant import Assistant
from assistant.cluster.ingest import index_on_cluster
from assistant.cluster.nodes import LocalCluster
from assistant.cluster.retriever import ClusterRetriever
from assistant.cluster.service import app_name, deploy
from assistant.embed.embedder import Embedder
from assistant.search.retriever import Retriever
from assistant.settings import Settings

from ..conftest import REPO
from .helpers import answers, questions, top_ids

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two Ray nodes; the shipped corpus indexed on them into two shards and served with
    two replicas per shard."""
    root = tmp_path_factory.mktemp("ray")
    shutil.copytree(REPO / "corpus", root / "corpus")
    settings = Settings.from_env(index_check_ms=0, cache_dir=REPO / ".cache",
                                 cluster_timeout_s=20)
    nodes = LocalCluster(workers=1, cpus=2, port=_free_port()).start()
    try:
        report = index_on_cluster(nodes.address, root / "corpus", root / "index",
                                  settings=settings, shards=2)
        deploy(nodes.address, root / "index", 2, replicas=2)
        router = ClusterRetriever.open(nodes.address, root / "index", settings=settings,
                                       embedder=Embedder.from_settings(settings))
        yield nodes, root, settings, report, router
    finally:
        import ray

        ray.shutdown()  # this process leaves the cluster before its nodes stop
        nodes.stop()


def test_ingestion_split_the_work_across_both_nodes(cluster):
    _, _, _, report, router = cluster
    assert report.shards_written == (0, 1) and report.chunks_embedded > 0
    assert {s["chunks"] > 0 for s in router.stats()["shards"]} == {True}


def test_two_shards_return_the_same_top_10_and_answers_as_one_index(cluster, shipped_index):
    _, _, settings, _, router = cluster
    one = Retriever.open(shipped_index, settings=settings)
    items = questions()
    for mode in ("hybrid", "bm25", "dense"):
        assert [top_ids(router, i["question"], mode=mode) for i in items] == \
            [top_ids(one, i["question"], mode=mode) for i in items]
    assert answers(Assistant(router, settings=settings), items) == \
        answers(Assistant(one, settings=settings), items)


def test_a_replica_killed_during_a_burst_fails_no_query(cluster):
    _, _, _, _, router = cluster
    places = {router.call(0, "where") for _ in range(30)}
    assert len(places) == 2  # two replicas of shard 0 answer
    expected = top_ids(router, "why did Napo dispute the redundancy terms")
    failures, done = [], []

    def burst() -> None:
        for _ in range(60):
            try:
                hits = router.search("why did Napo dispute the redundancy terms", k=10)
                if hits.partial is not None or [h.chunk_id for h in hits] != expected:
                    failures.append(hits.partial or "other results")
                done.append(time.monotonic())
            except Exception as exc:  # any error is a failed query
                failures.append(repr(exc))

    worker = threading.Thread(target=burst)
    worker.start()
    while len(done) < 5:
        time.sleep(0.01)
    killed_at = time.monotonic()
    os.kill(sorted(places)[0][1], signal.SIGKILL)  # a replica process, mid-burst
    worker.join(timeout=300)
    assert not worker.is_alive()
    assert failures == [] and len(done) == 60
    assert sum(t > killed_at for t in done) > 10  # queries went on after the kill


def test_a_new_node_takes_load_without_reindexing(cluster):
    nodes, root, _, _, router = cluster
    added = nodes.add_node()
    deploy(nodes.address, root / "index", 2, replicas=3)
    deadline = time.monotonic() + 120
    seen: set[str] = set()
    while added not in seen and time.monotonic() < deadline:
        seen |= {router.call(s, "where")[0] for s in (0, 1) for _ in range(10)}
    assert added in seen


def test_an_update_is_indexed_on_the_cluster_and_served(cluster):
    nodes, root, settings, _, router = cluster
    (root / "corpus" / "lighthouse.txt").write_text(
        "Monday 2 March 2020\n\nLighthouse Keepers Join Probation\n\nThe lighthouse keepers "
        "met the probation officers at dawn to talk about the tides and the foghorns.\n")
    report = index_on_cluster(nodes.address, root / "corpus", root / "index",
                              settings=settings, shards=2)
    assert len(report.shards_written) == 1 and report.chunks_embedded == 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        hits = router.search("lighthouse keepers foghorns", k=1)
        if hits and "lighthouse" in hits[0].text:
            break
        time.sleep(0.5)
    assert "lighthouse" in hits[0].text


def test_a_shard_with_no_live_replica_gives_a_partial_results_notice(cluster):
    _, _, settings, _, router = cluster
    from ray import serve

    serve.delete(app_name(1))  # shard-000 keeps serving; shard-001 has no replica now
    lost = Settings.from_env(index_check_ms=0, cache_dir=settings.cache_dir,
                             cluster_timeout_s=2)
    partial = ClusterRetriever(router.shards, router.embedder, settings=lost)
    hits = partial.search("why did Napo dispute the redundancy terms", k=5)
    assert hits.partial is not None and hits.partial.missing == ("shard-001",)
    answer = Assistant(partial, settings=lost).ask("What did readers say about pay?",
                                                    backend="extractive")
    assert "Partial results: 1 of 2 archive shards (shard-001)" in answer.notice
