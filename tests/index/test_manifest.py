import json

import pytest

from assistant import Settings, build_index
from assistant.index import FORMAT_VERSION, IndexMismatchError, IndexStore, index_status
from assistant.index.dense_spec import DenseSpec
from assistant.index.manifest import Counts, Manifest, settings_for
from assistant.search.retriever import Retriever

# The fake embedder records its bare name, as the torch backend does (int8 adds "+onnx-int8").
HASH_SETTINGS = Settings.from_env({"ASSISTANT_EMBEDDING_MODEL": "test-hash-64",
                                   "ASSISTANT_EMBEDDING_BACKEND": "torch"})


def _manifest(**changes) -> Manifest:
    base = dict(format_version=FORMAT_VERSION, embedding_model="m", embedding_dim=64,
                chunker={"max_tokens": 200}, dense=DenseSpec(), counts=Counts(3, 1, 2))
    return Manifest(**{**base, **changes})


def test_manifest_reads_and_writes_the_recorded_json(small_corpus, tmp_path, hash_embedder):
    build_index(small_corpus, tmp_path / "index", settings=Settings.from_env({}),
                embedder=hash_embedder)
    store = IndexStore.open(tmp_path / "index")
    recorded = json.loads((store.path / "manifest.json").read_text())
    assert store.manifest.to_json() == recorded
    assert list(store.manifest.to_json()) == list(recorded)  # key order too
    assert dict(store.manifest) == recorded  # read by section, as when it was a dict
    assert recorded["bm25"]["library"] == "assistant.lexical"  # a recorded value
    assert store.manifest.counts == Counts(recorded["counts"]["chunks"], 2, 2)
    assert store.manifest.dense == DenseSpec.from_dict(recorded["dense"])


def test_check_states_each_rule():
    fits = _manifest()
    assert fits.check(where="here", model="m", dimension=64, chunker={"max_tokens": 200}) == ()
    rules = _manifest(format_version=1).check(where="here", model="other", dimension=32,
                                              chunker={"max_tokens": 50})
    assert [m.rule for m in rules] == ["format", "model", "dimension", "chunker"]
    assert "has format 1, this version reads format" in rules[0].message
    assert "index --rebuild" in rules[0].message
    assert "'m' (64-d) but the configured model is 'other'" in rules[1].message
    assert "gives 32-d vectors but the index holds 64-d" in rules[2].message
    # a rule is checked only when its value is given; the format always
    assert _manifest().check(where="here") == ()
    assert settings_for("all-MiniLM-L6-v2+onnx-int8") == (
        "ASSISTANT_EMBEDDING_MODEL=all-MiniLM-L6-v2 ASSISTANT_EMBEDDING_BACKEND=onnx-int8")


def test_other_format_is_refused_then_rebuilt(small_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    settings = Settings.from_env({})
    build_index(small_corpus, index, settings=settings, embedder=hash_embedder)
    path = IndexStore.open(index).path / "manifest.json"
    old = json.loads(path.read_text())
    del old["sha256"], old["self_sha256"]  # format 1 recorded no checksums
    path.write_text(json.dumps({**old, "format_version": 1}))
    with pytest.raises(IndexMismatchError, match="has format 1"):
        Retriever.open(index, embedder=hash_embedder)
    assert index_status(small_corpus, index, HASH_SETTINGS) == "stale"
    report = build_index(small_corpus, index, settings=settings, embedder=hash_embedder)
    assert "re-embedding everything" in report.notes[0]
    assert report.chunks_added == report.chunks_total
    assert IndexStore.open(index).manifest["format_version"] == FORMAT_VERSION
