import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import FORMAT_VERSION, IndexMismatchError, IndexStore, index_status
from assistant.search.retriever import Retriever
from tests.conftest import POST_A, REPO
from tests.index.helpers import InterruptedEmbedder

# The fake embedder records its bare name, as the torch backend does (int8 adds "+onnx-int8").
HASH_SETTINGS = Settings.from_env({"ASSISTANT_EMBEDDING_MODEL": "test-hash-64",
                                   "ASSISTANT_EMBEDDING_BACKEND": "torch"})


def _build(corpus, index, embedder, **kw):
    return build_index(corpus, index, settings=Settings.from_env({}), embedder=embedder, **kw)


def test_first_build_reports_files_and_writes_manifest(small_corpus, tmp_path, hash_embedder):
    report = _build(small_corpus, tmp_path / "index", hash_embedder)
    assert [f.status for f in report.files] == ["added", "added"]
    assert report.published and report.chunks_added == report.chunks_total > 0
    store = IndexStore.open(tmp_path / "index")
    manifest = store.manifest
    assert manifest["embedding"] == {"model": "test-hash-64", "dimension": 64}
    assert manifest["chunker"]["max_tokens"] == 200
    assert manifest["format_version"] == FORMAT_VERSION
    assert len(manifest["corpus_fingerprint"]) == 64
    stats = store.stats()
    assert stats["posts"] == 2 and stats["comments"] == 2


def test_rerun_without_changes_embeds_nothing(small_corpus, tmp_path, hash_embedder):
    _build(small_corpus, tmp_path / "index", hash_embedder)
    hash_embedder.embedded.clear()
    report = _build(small_corpus, tmp_path / "index", hash_embedder)
    assert not report.published and hash_embedder.embedded == []
    assert [f.status for f in report.files] == ["unchanged", "unchanged"]
    assert index_status(small_corpus, tmp_path / "index", HASH_SETTINGS) == "fresh"


def test_changed_post_reembeds_only_changed_chunks(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    first = _build(small_corpus, index, hash_embedder)
    (small_corpus / "a.txt").write_text(POST_A.replace("caseloads matter more",
                                                       "workloads matter more"))
    (small_corpus / "b.txt").unlink()
    (small_corpus / "c.md").write_text("---\ntitle: New note\ndate: 2015-01-02\n---\nFresh text.")
    assert index_status(small_corpus, index, HASH_SETTINGS) == "stale"
    hash_embedder.embedded.clear()
    report = _build(small_corpus, index, hash_embedder)
    statuses = {f.source: f.status for f in report.files}
    assert statuses == {"a.txt": "updated", "b.txt": "removed", "c.md": "added"}
    # only the edited comment and the new file were embedded
    assert report.chunks_added == len(hash_embedder.embedded) == 2
    assert any("workloads matter more" in t for t in hash_embedder.embedded)
    assert report.chunks_removed == 2  # the old comment and b.txt's only chunk
    assert report.chunks_total == first.chunks_total - 2 + 2
    store = IndexStore.open(index)
    recount = store.db.execute(
        "SELECT COUNT(DISTINCT post_id), COUNT(DISTINCT CASE WHEN kind = 'comment' "
        "THEN post_id || '#' || comment_number END) FROM chunks").fetchone()
    assert (store.stats()["posts"], store.stats()["comments"]) == recount == (2, 2)
    retriever = Retriever.open(index, embedder=hash_embedder)
    texts = [h.text for h in retriever.search("workloads caseloads trident", k=10)]
    assert any("workloads" in t for t in texts)
    assert not any("caseloads" in t or "shipyard" in t for t in texts)


def test_small_edits_publish_a_dense_delta_equal_to_a_rebuild(small_corpus, tmp_path,
                                                               hash_embedder, monkeypatch):
    monkeypatch.setattr("assistant.index.dense.DELTA_LIMIT", 1.0)  # the corpus is tiny
    _many_posts(small_corpus, 12)
    index = tmp_path / "index"
    _build(small_corpus, index, hash_embedder)
    first_file = (IndexStore.open(index).path / "dense.faiss").stat().st_ino
    for step in range(2):
        (small_corpus / f"post00{step}.txt").write_text(
            f"Monday 3 March 2014\n\nPost number {step}\n\nRewritten: trident {step}.\n")
        _build(small_corpus, index, hash_embedder)
        current = IndexStore.open(index).path
        assert (current / "dense_delta.npz").is_file()
        assert (current / "dense.faiss").stat().st_ino == first_file  # shared, not rewritten
    rebuilt = tmp_path / "rebuilt"
    _build(small_corpus, rebuilt, hash_embedder, rebuild=True)
    assert not (IndexStore.open(rebuilt).path / "dense_delta.npz").exists()
    incremental = Retriever.open(index, embedder=hash_embedder)
    fresh = Retriever.open(rebuilt, embedder=hash_embedder)
    for query in ("trident 1", "shipyard defence contract", "word3 pay"):
        got = {(h.chunk_id, round(h.score, 5))
               for h in incremental.search(query, k=100, mode="dense")}
        assert got == {(h.chunk_id, round(h.score, 5))
                       for h in fresh.search(query, k=100, mode="dense")}
        assert any(score > 0 for _, score in got)


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"   \n\n  ", "empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00" + bytes(range(256)) * 4, "binary"),
    ("doc.pdf", b"%PDF-1.4 something", "unsupported"),
])
def test_bad_files_are_skipped_with_a_reason(small_corpus, tmp_path, hash_embedder, name,
                                             content, reason):
    (small_corpus / name).write_bytes(content)
    report = _build(small_corpus, tmp_path / "index", hash_embedder)
    skipped = {f.source: f.reason for f in report.skipped}
    assert reason in skipped[name]
    assert len(report.added) == 2


def test_oversized_file_is_skipped(small_corpus, tmp_path, hash_embedder):
    (small_corpus / "huge.txt").write_text("Monday 3 March 2014\n\nBig\n\n" + "word " * 5000)
    settings = Settings.from_env({"ASSISTANT_MAX_FILE_BYTES": "10000"})
    report = build_index(small_corpus, tmp_path / "index", settings=settings,
                         embedder=hash_embedder)
    assert "too large" in {f.source: f.reason for f in report.skipped}["huge.txt"]


def test_badly_encoded_file_is_repaired_not_fatal(small_corpus, tmp_path, hash_embedder):
    (small_corpus / "latin.txt").write_bytes(
        "Monday 3 March 2014\n\nCaf\xe9 Culture\n\nThe caf\xe9 costs \xa35.\n".encode("latin-1"))
    report = _build(small_corpus, tmp_path / "index", hash_embedder)
    assert {f.source: f.status for f in report.files}["latin.txt"] == "added"


def test_file_turned_bad_keeps_previous_version(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    _build(small_corpus, index, hash_embedder)
    (small_corpus / "b.txt").write_bytes(b"")
    report = _build(small_corpus, index, hash_embedder)
    assert "kept the previously indexed version" in report.skipped[0].reason
    retriever = Retriever.open(index, embedder=hash_embedder)
    assert any("shipyard" in h.text for h in retriever.search("shipyard contract", k=3))


def test_failed_build_leaves_previous_index(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    _build(small_corpus, index, hash_embedder)
    before = (index / "CURRENT").read_text()

    class Exploding(FakeEmbedder):
        def embed_documents(self, texts, progress=None):
            raise RuntimeError("power cut")

    (small_corpus / "c.txt").write_text("Monday 3 March 2014\n\nNew\n\nBrand new text.")
    with pytest.raises(RuntimeError, match="power cut"):
        _build(small_corpus, index, Exploding())
    assert (index / "CURRENT").read_text() == before
    assert not [p for p in (index / "versions").iterdir() if p.name.startswith(".tmp")]
    assert Retriever.open(index, embedder=hash_embedder).search("pay freeze", k=1)


_KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {repo!r})
from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder

class Slow(FakeEmbedder):
    def embed_documents(self, texts, progress=None):
        print("embedding", flush=True)
        time.sleep(30)
        return super().embed_documents(texts, progress)

build_index(sys.argv[1], sys.argv[2], settings=Settings.from_env({{}}), embedder=Slow())
"""


def test_killed_build_leaves_previous_index_loadable(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    _build(small_corpus, index, hash_embedder)
    (small_corpus / "c.txt").write_text("Monday 3 March 2014\n\nNew\n\nBrand new text.")
    script = tmp_path / "slow_build.py"
    script.write_text(_KILL_SCRIPT.format(repo=str(REPO)))
    proc = subprocess.Popen([sys.executable, str(script), str(small_corpus), str(index)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "embedding"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    retriever = Retriever.open(index, embedder=hash_embedder)
    assert retriever.search("pay freeze", k=1)
    # the next build recovers and publishes the new file
    report = _build(small_corpus, index, hash_embedder)
    assert {f.source: f.status for f in report.files}["c.txt"] == "added"


def test_opening_with_another_model_names_both(small_corpus, tmp_path, hash_embedder):
    _build(small_corpus, tmp_path / "index", hash_embedder)

    class Other(FakeEmbedder):
        model_id = "other-model"

    with pytest.raises(IndexMismatchError, match=r"test-hash-64.*other-model"):
        Retriever.open(tmp_path / "index", embedder=Other())


def test_model_change_reembeds_everything(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    _build(small_corpus, index, hash_embedder)

    class Other(FakeEmbedder):
        model_id = "other-model"

    other = Other()
    report = _build(small_corpus, index, other)
    assert report.notes and "re-embedding everything" in report.notes[0]
    assert json.loads((Path(IndexStore.open(index).path) / "manifest.json").read_text())[
        "embedding"]["model"] == "other-model"
    assert report.chunks_added == report.chunks_total


def test_status_missing_and_chunker_change(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    assert index_status(small_corpus, index, HASH_SETTINGS) == "missing"
    _build(small_corpus, index, hash_embedder)
    smaller = Settings.from_env({"ASSISTANT_CHUNK_TOKENS": "50",
                                 "ASSISTANT_EMBEDDING_MODEL": "test-hash-64"})
    assert index_status(small_corpus, index, smaller) == "stale"


def _many_posts(corpus: Path, n: int) -> None:
    for i in range(n):
        (corpus / f"post{i:03d}.txt").write_text(
            f"Monday 3 March 2014\n\nPost number {i}\n\nThe topic of post {i} is word{i} and "
            f"its neighbour word{i + 1}, with shared words about probation and pay.\n")


def test_interrupted_build_resumes_without_reembedding(small_corpus, tmp_path, monkeypatch):
    import assistant.index.write as write_module

    monkeypatch.setattr(write_module, "EMBED_BATCH", 4)
    _many_posts(small_corpus, 14)
    index = tmp_path / "index"

    dying = InterruptedEmbedder(on_call=3)  # Ctrl-C on the third batch
    with pytest.raises(KeyboardInterrupt):
        _build(small_corpus, index, dying)
    assert not (index / "CURRENT").exists()
    assert len(list((index / ".resume").glob("*.npz"))) == 2
    again = FakeEmbedder()
    seen = []
    report = _build(small_corpus, index, again, progress=lambda d, t: seen.append((d, t)))
    assert report.chunks_total == len(dying.embedded) + len(again.embedded)
    assert len(dying.embedded) == 8 and not set(dying.embedded) & set(again.embedded)
    assert seen[-1][0] == seen[-1][1] == report.chunks_total
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not (index / ".resume").exists()  # published: the checkpoints are gone
    hits = Retriever.open(index, embedder=again).search("word7 word8", k=1, mode="bm25")
    assert hits[0].title == "Post number 7"


@pytest.mark.parametrize("index_type", ["ivf", "hnsw"])
def test_approximate_index_types_update_incrementally(small_corpus, tmp_path, hash_embedder,
                                                      index_type):
    _many_posts(small_corpus, 30)
    settings = Settings.from_env({}, index_type=index_type, ann_threshold=10)
    index = tmp_path / "index"
    build_index(small_corpus, index, settings=settings, embedder=hash_embedder)
    manifest = IndexStore.open(index).manifest
    assert manifest["dense"]["kind"] == index_type
    (small_corpus / "b.txt").unlink()
    (small_corpus / "post005.txt").write_text(
        "Monday 3 March 2014\n\nPost number 5\n\nRewritten entirely: trident submarines.\n")
    report = build_index(small_corpus, index, settings=settings, embedder=hash_embedder)
    assert report.chunks_removed == 2 and report.chunks_added == 1
    retriever = Retriever.open(index, embedder=hash_embedder)
    for mode in ("dense", "hybrid"):
        texts = [h.text for h in retriever.search("shipyard defence contract word5", k=10,
                                                  mode=mode)]
        assert not any("shipyard" in t or "word5 " in t for t in texts)
    assert retriever.search("trident submarines rewritten", k=1)[0].title == "Post number 5"
    assert all(h.kind == "comment" for h in retriever.search("pay", k=5, kind="comment"))


def test_auto_index_type_switches_at_threshold(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    settings = Settings.from_env({}, ann_threshold=20)
    build_index(small_corpus, index, settings=settings, embedder=hash_embedder)
    assert IndexStore.open(index).manifest["dense"]["kind"] == "flat"
    _many_posts(small_corpus, 30)
    report = build_index(small_corpus, index, settings=settings, embedder=hash_embedder)
    store = IndexStore.open(index)
    assert store.manifest["dense"]["kind"] == "ivf"
    assert any("dense index rebuilt" in n for n in report.notes)
    assert store.dense.ntotal == report.chunks_total
    stats = store.stats()
    assert stats["chunks"] == report.chunks_total and stats["index_bytes"] > 0
    assert stats["dense_index"].startswith("IndexIVF")


def test_build_holds_one_batch_of_chunks_not_the_archive(small_corpus, tmp_path, monkeypatch):
    import gc

    import assistant.index.plan as plan_module
    import assistant.index.write as write_module
    from assistant.records import Chunk

    monkeypatch.setattr(write_module, "EMBED_BATCH", 4)
    monkeypatch.setattr(plan_module, "PLAN_KEEP_CHUNKS", 0)  # every file parsed again
    _many_posts(small_corpus, 40)

    class CountsLiveChunks(FakeEmbedder):
        most = 0

        def embed_documents(self, texts, progress=None):
            live = sum(type(o) is Chunk for o in gc.get_objects())
            type(self).most = max(type(self).most, live)
            return super().embed_documents(texts, progress)

    embedder = CountsLiveChunks()
    before = sum(type(o) is Chunk for o in gc.get_objects())  # other tests' fixtures
    report = build_index(small_corpus, tmp_path / "index", embedder=embedder,
                         settings=Settings.from_env({"ASSISTANT_PARSE_WORKERS": "1"}))
    assert report.chunks_total >= 44
    # one batch, plus what is left of the file being split across batches
    assert 4 <= CountsLiveChunks.most - before <= 8
    hits = Retriever.open(tmp_path / "index", embedder=embedder).search("word17 word18", k=1,
                                                                       mode="bm25")
    assert hits[0].title == "Post number 17"


def test_file_edited_during_build_is_planned_again(small_corpus, tmp_path, hash_embedder,
                                                   monkeypatch):
    import assistant.index.build as index_module
    import assistant.index.plan as plan_module

    index = tmp_path / "index"
    _build(small_corpus, index, hash_embedder)
    planned = index_module.plan_corpus
    edits = iter(["second edit"])

    def plan_then_edit(*args, **kwargs):
        plan = planned(*args, **kwargs)
        for words in edits:  # an editor saving again while the first plan is written
            (small_corpus / "a.txt").write_text(POST_A.replace("caseloads", words))
        return plan

    (small_corpus / "a.txt").write_text(POST_A.replace("caseloads", "first edit"))
    monkeypatch.setattr(plan_module, "PLAN_KEEP_CHUNKS", 0)  # parsed again when written
    monkeypatch.setattr(index_module, "plan_corpus", plan_then_edit)
    report = _build(small_corpus, index, hash_embedder)
    assert report.notes == ("a.txt changed during the build: planned again",)
    retriever = Retriever.open(index, embedder=hash_embedder)
    assert "second edit" in retriever.search("second edit", k=1, mode="bm25")[0].text
    assert all("first edit" not in h.text for h in retriever.search("first edit", k=3,
                                                                    mode="bm25"))


def test_file_that_keeps_changing_fails_and_keeps_the_index(small_corpus, tmp_path,
                                                            hash_embedder, monkeypatch):
    import assistant.index.build as index_module
    import assistant.index.plan as plan_module

    index = tmp_path / "index"
    _build(small_corpus, index, hash_embedder)
    before = (index / "CURRENT").read_text()
    planned = index_module.plan_corpus
    saves = iter(range(100))

    def plan_then_edit(*args, **kwargs):
        plan = planned(*args, **kwargs)
        (small_corpus / "a.txt").write_text(POST_A.replace("caseloads", f"save{next(saves)}"))
        return plan

    (small_corpus / "a.txt").write_text(POST_A.replace("caseloads", "edited"))
    monkeypatch.setattr(plan_module, "PLAN_KEEP_CHUNKS", 0)  # parsed again when written
    monkeypatch.setattr(index_module, "plan_corpus", plan_then_edit)
    with pytest.raises(index_module.CorpusChangedError, match=r"a\.txt changed while"):
        _build(small_corpus, index, hash_embedder)
    assert next(saves) == index_module.BUILD_ATTEMPTS
    assert (index / "CURRENT").read_text() == before


def test_parsing_in_worker_processes_builds_the_same_index(small_corpus, tmp_path,
                                                           hash_embedder, monkeypatch):
    import assistant.index.plan as plan_module

    monkeypatch.setattr(plan_module, "PLAN_KEEP_CHUNKS", 5)  # most files parsed twice
    _many_posts(small_corpus, 20)

    def rows(workers: int) -> tuple[list, list]:
        settings = Settings.from_env({"ASSISTANT_PARSE_WORKERS": str(workers)})
        report = build_index(small_corpus, tmp_path / f"index{workers}", settings=settings,
                             embedder=hash_embedder)
        store = IndexStore.open(tmp_path / f"index{workers}")
        stored = store.db.execute("SELECT id, source, kind, text FROM chunks ORDER BY id")
        return [(f.source, f.status, f.chunks) for f in report.files], stored.fetchall()

    in_process, in_workers = rows(1), rows(2)
    assert in_workers == in_process and len(in_process[1]) >= 24


def test_file_deleted_while_workers_parse_it_is_planned_again(small_corpus, tmp_path,
                                                              hash_embedder, monkeypatch):
    import assistant.index.build as index_module
    import assistant.index.plan as plan_module

    _many_posts(small_corpus, 20)
    planned = index_module.plan_corpus
    deletions = iter(["post007.txt"])

    def plan_then_delete(*args, **kwargs):
        plan = planned(*args, **kwargs)
        for name in deletions:
            (small_corpus / name).unlink()
        return plan

    monkeypatch.setattr(plan_module, "PLAN_KEEP_CHUNKS", 0)  # parsed again when written
    monkeypatch.setattr(index_module, "plan_corpus", plan_then_delete)
    settings = Settings.from_env({"ASSISTANT_PARSE_WORKERS": "2"})
    report = build_index(small_corpus, tmp_path / "index", settings=settings,
                         embedder=hash_embedder)
    assert report.notes == ("post007.txt changed during the build: planned again",)
    assert "post007.txt" not in {f.source for f in report.files}
    assert len(report.files) == 21 and report.published


def test_small_builds_parse_each_file_once(small_corpus, tmp_path, hash_embedder, monkeypatch):
    import assistant.index.parse_pool as parse_module
    import assistant.index.plan as plan_module

    parsed = []
    parse = parse_module.read_file

    def counting(path, source, **kwargs):
        parsed.append(source)
        return parse(path, source, **kwargs)

    monkeypatch.setattr(parse_module, "read_file", counting)
    _build(small_corpus, tmp_path / "index", hash_embedder)
    assert sorted(parsed) == ["a.txt", "b.txt"]
    parsed.clear()
    monkeypatch.setattr(plan_module, "PLAN_KEEP_CHUNKS", 0)
    _build(small_corpus, tmp_path / "again", hash_embedder)
    assert sorted(parsed) == ["a.txt", "a.txt", "b.txt", "b.txt"]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] \
            != "Z"
    except OSError:
        return False


def test_killed_build_leaves_no_parse_workers_behind(small_corpus, tmp_path):
    import time

    _many_posts(small_corpus, 20)
    script = tmp_path / "slow_build.py"
    script.write_text(_KILL_SCRIPT.format(repo=str(REPO)).replace(
        "Settings.from_env({})", 'Settings.from_env({"ASSISTANT_PARSE_WORKERS": "2"})'))
    proc = subprocess.Popen([sys.executable, str(script), str(small_corpus),
                             str(tmp_path / "index")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "embedding"
    workers = _children(proc.pid)
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


@pytest.mark.slow
def test_an_index_built_with_the_default_int8_model_is_fresh(shipped_index):
    """The manifest records "all-MiniLM-L6-v2+onnx-int8"; comparing the bare model name made
    every start-up call the index stale and re-plan the whole corpus."""
    settings = Settings.from_env({})
    assert index_status(shipped_index.parent / "corpus", shipped_index, settings) == "fresh"
