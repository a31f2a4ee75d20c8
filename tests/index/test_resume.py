"""Resume at the grain of one small batch: a build killed late costs at most the batch it
was embedding, whatever happened to the corpus in between."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import IndexStore, write
from assistant.index.resume import ResumeCache
from tests.conftest import REPO
from tests.index.helpers import InterruptedEmbedder

_STALLS_AT = """
import json, sys, time
sys.path.insert(0, {repo!r})
from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder

class Recording(FakeEmbedder):
    calls = 0

    def embed_documents(self, texts, progress=None):
        type(self).calls += 1
        with open(sys.argv[3], "a") as log:
            log.write(json.dumps({{"started": list(texts)}}) + "\\n")
        if type(self).calls == {stall_at}:
            print("stalled", flush=True)
            time.sleep(60)
        vectors = super().embed_documents(texts, progress)
        with open(sys.argv[3], "a") as log:
            log.write(json.dumps({{"done": list(texts)}}) + "\\n")
        return vectors

build_index(sys.argv[1], sys.argv[2], settings=Settings.from_env({{}}), embedder=Recording())
"""


def _long_posts(corpus: Path, files: int) -> None:
    """``files`` posts of 15 chunks each."""
    for i in range(files):
        body = " ".join(f"Sentence {j} of post {i} says the caseload in area {j} rose by "
                        f"{i * j} cases." for j in range(120))
        (corpus / f"post{i:03d}.txt").write_text(f"Monday 3 March 2014\n\nPost {i}\n\n{body}\n")


def _wait_for_the_lock(index: Path) -> None:
    """Until the killed build's parse workers, which share its lock, notice and exit
    (``parse_pool._exit_with_parent`` looks every 0.5 s)."""
    deadline = time.monotonic() + 10
    with (index / ".lock").open("a") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                assert time.monotonic() < deadline, "the killed build's workers live on"
                time.sleep(0.1)
                continue
            fcntl.flock(fh, fcntl.LOCK_UN)
            return


def test_killed_build_resumes_embedding_at_most_one_small_batch(small_corpus, tmp_path):
    assert 64 <= write.EMBED_BATCH <= 256
    _long_posts(small_corpus, 44)  # 660 chunks, and the small posts'
    stall_at = 660 // write.EMBED_BATCH  # the batch before the last: killed at 87%
    index, log = tmp_path / "index", tmp_path / "embedded.jsonl"
    script = tmp_path / "stalls.py"
    script.write_text(_STALLS_AT.format(repo=str(REPO), stall_at=stall_at))
    proc = subprocess.Popen([sys.executable, str(script), str(small_corpus), str(index),
                             str(log)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "stalled"  # batches saved, one running
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    _wait_for_the_lock(index)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    started = {t for r in records for t in r.get("started", [])}
    done = {t for r in records for t in r.get("done", [])}
    assert len(done) == (stall_at - 1) * write.EMBED_BATCH and not (index / "CURRENT").exists()

    again = FakeEmbedder()
    report = build_index(small_corpus, index, settings=Settings.from_env({}), embedder=again)
    assert report.published and report.chunks_added == report.chunks_total > 660
    assert len(done) / report.chunks_total > 0.85
    redone = set(again.embedded) & started
    assert len(redone) <= write.EMBED_BATCH  # only the batch that was running
    assert not set(again.embedded) & done
    assert len(again.embedded) == report.chunks_total - len(done)
    _assert_every_vector_is_its_passages(index)


def _assert_every_vector_is_its_passages(index: Path) -> None:
    """Saved vectors came back to the passages they were embedded for."""
    import numpy as np

    store = IndexStore.open(index)
    chunks = store.chunks_by_ids(store.all_ids().tolist())
    fake = FakeEmbedder()
    for row_id, chunk in chunks.items():
        assert np.allclose(store.dense.reconstruct(row_id), fake.vector(chunk.embed_text))
    store.close()


def test_resume_finds_passages_when_an_edit_shifts_every_batch(small_corpus, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(write, "EMBED_BATCH", 4)
    for i in range(14):
        (small_corpus / f"post{i:03d}.txt").write_text(
            f"Monday 3 March 2014\n\nPost number {i}\n\nThe topic of post {i} is word{i}.\n")
    index = tmp_path / "index"

    dying = InterruptedEmbedder(on_call=3)  # Ctrl-C on the third batch
    with pytest.raises(KeyboardInterrupt):
        build_index(small_corpus, index, settings=Settings.from_env({}), embedder=dying)
    assert len(dying.embedded) == 8
    # a new file sorted first: every later batch now starts one passage further on
    (small_corpus / "0-first.txt").write_text("Monday 3 March 2014\n\nFirst\n\nAn early post.\n")
    again = FakeEmbedder()
    report = build_index(small_corpus, index, settings=Settings.from_env({}), embedder=again)
    assert not set(dying.embedded) & set(again.embedded)
    assert len(again.embedded) == report.chunks_total - 8
    _assert_every_vector_is_its_passages(index)


def test_torn_resume_files_are_embedded_again(tmp_path):
    import numpy as np

    cache = ResumeCache(tmp_path / ".resume", "model")
    keys = cache.keys(["a", "b", "c"])
    assert len(set(keys.tolist())) == 3
    cache.put(keys[:2], np.eye(2, 4, dtype=np.float32))
    cache.put(keys[2:], np.ones((1, 4), np.float32))
    (tmp_path / ".resume" / "torn.npz").write_bytes(b"PK\x03\x04 cut short")
    (tmp_path / ".resume" / "x.part").write_bytes(b"half a write")
    saved = next(p for p in (tmp_path / ".resume").glob("*.npz") if p.name != "torn.npz"
                 and len(np.load(p)["keys"]) == 1)
    saved.write_bytes(saved.read_bytes()[:-40])  # the vectors' end lost in a power cut
    found, vectors = ResumeCache(tmp_path / ".resume", "model").lookup(keys)
    assert found.tolist() == [True, True, False]
    assert np.array_equal(vectors, np.eye(2, 4, dtype=np.float32))
    other_model = ResumeCache(tmp_path / ".resume", "other").lookup(
        ResumeCache(tmp_path / ".resume", "other").keys(["a"]))
    assert other_model[0].tolist() == [False] and other_model[1] is None
