"""Integrity: every file's size and sha256 in the manifest, corruption detected, named and
repaired by ``index``, readers refused with the bad file and the fix."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Settings, build_index, cli
from assistant.embed.embedder import Embedder
from assistant.embed.fake import FakeEmbedder
from assistant.hashing import sha256_file
from assistant.index import IndexStore, index_status
from assistant.index.integrity import BUILD_MARKER, CorruptIndexError, unclean_stop
from assistant.search.retriever import Retriever
from tests.conftest import REPO

HASH_SETTINGS = Settings.from_env({"ASSISTANT_EMBEDDING_MODEL": "test-hash-64",
                                   "ASSISTANT_EMBEDDING_BACKEND": "torch"})


def _version(index: Path) -> Path:
    return index / "versions" / (index / "CURRENT").read_text().strip()


def _cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _flip(path: Path, offset: int, count: int = 1) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + count):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _flip_chunk_text(version: Path) -> None:
    """One letter of a stored passage changed: sqlite reads it happily, sizes still match."""
    path = version / "chunks.sqlite"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"shipyard contract", b"shipyard contrAct", 1))
    assert path.read_bytes() != data


def _garble_manifest(version: Path) -> None:
    text = (version / "manifest.json").read_text()
    (version / "manifest.json").write_text(text[:len(text) // 2])


# (what, the file the message must name, how)
CORRUPTIONS = {
    "vector file cut in half": ("dense.faiss", lambda v: _cut(v / "dense.faiss")),
    "flipped sqlite bytes": ("chunks.sqlite", lambda v: _flip(
        v / "chunks.sqlite", (v / "chunks.sqlite").stat().st_size // 2, 64)),
    "flipped sqlite header": ("chunks.sqlite", lambda v: _flip(v / "chunks.sqlite", 0, 16)),
    "truncated BM25 file": ("lexical/terms.npy", lambda v: _cut(v / "lexical" / "terms.npy")),
    "flipped byte in chunk text": ("chunks.sqlite", _flip_chunk_text),
    "missing file": ("lexical/ids.npy", lambda v: (v / "lexical" / "ids.npy").unlink()),
    "garbled manifest": ("manifest.json", _garble_manifest),
}
# What a plain open (sizes and structure, no checksums) catches.
CHEAP = ["vector file cut in half", "flipped sqlite header", "truncated BM25 file",
         "missing file", "garbled manifest"]


@pytest.fixture
def index(small_corpus, tmp_path, monkeypatch) -> Path:
    """A built index; the CLI's builds use the package's fake embedder."""
    monkeypatch.setattr(Embedder, "from_settings", classmethod(lambda cls, s: FakeEmbedder()))
    path = tmp_path / "index"
    build_index(small_corpus, path, settings=Settings.from_env({}), embedder=FakeEmbedder())
    return path


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_manifest_records_size_and_sha256_of_every_file(small_corpus, index, capsys,
                                                        monkeypatch):
    version = _version(index)
    manifest = IndexStore.open(index).manifest
    files = {p.relative_to(version).as_posix() for p in version.rglob("*")
             if p.is_file() and p.name != "manifest.json"}
    assert set(manifest.checksums) == set(manifest.file_bytes) == files
    assert all(manifest.checksums[f] == sha256_file(version / f) for f in files)
    assert _cli(capsys, "--index", str(index), "index", "--verify")[:2] == (
        0, f"verified versions/{version.name}: {len(files)} files, sizes and sha256 match\n")
    # an edit small enough for a delta hard-links dense.faiss: its digest is carried over
    monkeypatch.setattr("assistant.index.dense.DELTA_LIMIT", 1.0)
    (small_corpus / "c.txt").write_text("Monday 3 March 2014\n\nNew\n\nBrand new text.")
    build_index(small_corpus, index, settings=Settings.from_env({}), embedder=FakeEmbedder())
    edited = IndexStore.open(index)
    assert (edited.path / "dense_delta.npz").is_file()
    assert edited.manifest.checksums["dense.faiss"] == manifest.checksums["dense.faiss"]
    assert all(edited.manifest.checksums[f] == sha256_file(edited.path / f)
               for f in edited.manifest.file_bytes)


@pytest.mark.parametrize("what", list(CORRUPTIONS))
def test_index_names_the_bad_file_and_rebuilds(small_corpus, index, capsys, what):
    bad_file, corrupt = CORRUPTIONS[what]
    version = _version(index)
    corrupt(version)
    code, out, _ = _cli(capsys, "--index", str(index), "index", "--verify")
    assert code == 1 and f"is corrupt:\n  {bad_file}: " in out
    assert "python -m assistant index` to repair it" in out
    code, out, err = _cli(capsys, "--corpus", str(small_corpus), "--index", str(index), "index")
    assert code == 0, err
    note = out.splitlines()[0]
    assert note.startswith(f"note: the published version is corrupt ({bad_file}: ")
    assert f"moved it to {index / 'corrupt' / version.name}; rebuilding from the corpus" in note
    assert "up to date" not in out and "Traceback" not in out + err
    assert (index / "corrupt" / version.name).is_dir()  # kept aside, not deleted
    assert _cli(capsys, "--index", str(index), "index", "--verify")[0] == 0
    retriever = Retriever.open(index, embedder=FakeEmbedder())
    assert "shipyard contract" in retriever.search("shipyard contract", k=1, mode="bm25")[0].text
    # repaired: the next run has nothing to do
    code, out, _ = _cli(capsys, "--corpus", str(small_corpus), "--index", str(index), "index")
    assert code == 0 and out.endswith("is up to date\n")


@pytest.mark.parametrize("what", CHEAP)
def test_opening_a_corrupt_index_fails_in_one_line_naming_file_and_fix(index, capsys, what):
    bad_file, corrupt = CORRUPTIONS[what]
    corrupt(_version(index))
    with pytest.raises(CorruptIndexError) as caught:
        Retriever.open(index, embedder=FakeEmbedder())
    message = str(caught.value)
    assert f"({bad_file}: " in message and "\n" not in message
    assert message.endswith("run `python -m assistant index` to repair it (it rebuilds from "
                            "the corpus and keeps the bad version aside)")
    code, out, err = _cli(capsys, "--index", str(index), "search", "pay")
    assert code == 2 and err == f"error: {message}\n" and out == ""
    assert index_status(index.parent / "corpus", index, HASH_SETTINGS) == "corrupt"


_KILLED_BUILD = """
import sys, time
sys.path.insert(0, {repo!r})
from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder

class Stalls(FakeEmbedder):
    def embed_documents(self, texts, progress=None):
        print("embedding", flush=True)
        time.sleep(60)

build_index(sys.argv[1], sys.argv[2], settings=Settings.from_env({{}}), embedder=Stalls())
"""


def _kill_a_build(corpus: Path, index: Path, tmp_path: Path) -> None:
    (corpus / "c.txt").write_text("Monday 3 March 2014\n\nNew\n\nBrand new text.")
    script = tmp_path / "stalls.py"
    script.write_text(_KILLED_BUILD.format(repo=str(REPO)))
    proc = subprocess.Popen([sys.executable, str(script), str(corpus), str(index)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "embedding"
        assert not unclean_stop(index)  # its marker is there, and its process alive
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.mark.parametrize("what", ["flipped byte in chunk text", "flipped sqlite bytes"])
def test_after_a_killed_build_opening_compares_checksums(small_corpus, index, tmp_path,
                                                         capsys, what):
    _, corrupt = CORRUPTIONS[what]
    _kill_a_build(small_corpus, index, tmp_path)
    corrupt(_version(index))  # say the same power cut spoilt a page
    assert (index / BUILD_MARKER).is_file() and unclean_stop(index)
    with pytest.raises(CorruptIndexError, match=r"\(chunks\.sqlite: sha256 differs"):
        Retriever.open(index, embedder=FakeEmbedder())
    assert index_status(small_corpus, index, HASH_SETTINGS) == "corrupt"
    code, out, _ = _cli(capsys, "--corpus", str(small_corpus), "--index", str(index), "index")
    assert code == 0 and "(chunks.sqlite: sha256 differs" in out
    assert not (index / BUILD_MARKER).exists() and not unclean_stop(index)
    hits = Retriever.open(index, embedder=FakeEmbedder()).search("brand new text", k=1)
    assert hits[0].source == "c.txt"


def test_a_clean_open_checks_sizes_not_checksums(index, capsys):
    _flip_chunk_text(_version(index))
    hits = Retriever.open(index, embedder=FakeEmbedder()).search("shipyard", k=1, mode="bm25")
    assert "contrAct" in hits[0].text  # served: only checksums tell, and an open skips them
    code, out, _ = _cli(capsys, "--index", str(index), "index", "--verify")
    assert code == 1 and "chunks.sqlite: sha256 differs from the recorded one" in out


def test_a_server_start_refuses_checksum_only_damage(small_corpus, index):
    """``index_status`` (run by every server before serving) compared sizes only: it called
    flipped chunk text "fresh", and the server answered from it (``benchmarks.corruption``)."""
    assert index_status(small_corpus, index, HASH_SETTINGS) == "fresh"
    _flip_chunk_text(_version(index))
    assert index_status(small_corpus, index, HASH_SETTINGS) == "corrupt"


def test_a_failed_build_leaves_no_marker(small_corpus, index):
    class Exploding(FakeEmbedder):
        def embed_documents(self, texts, progress=None):
            raise RuntimeError("power cut")

    (small_corpus / "c.txt").write_text("Monday 3 March 2014\n\nNew\n\nBrand new text.")
    with pytest.raises(RuntimeError, match="power cut"):
        build_index(small_corpus, index, settings=Settings.from_env({}), embedder=Exploding())
    assert not (index / BUILD_MARKER).exists() and not unclean_stop(index)


def _as_before_checksums(version: Path) -> None:
    path = version / "manifest.json"
    data = json.loads(path.read_text())
    del data["sha256"], data["self_sha256"]
    path.write_text(json.dumps(data, indent=2))


def test_a_manifest_without_checksums_still_opens_and_verify_says_unknown(small_corpus, index,
                                                                          capsys):
    version = _version(index)
    _as_before_checksums(version)
    store = IndexStore.open(index)
    assert store.manifest.checksums == {} and store.count() > 0
    code, out, _ = _cli(capsys, "--index", str(index), "index", "--verify")
    assert code == 0 and "sizes match; sha256 unknown for" in out
    # still checked as far as it can be: sizes, and sqlite's own quick_check
    _flip(version / "chunks.sqlite", 0, 16)
    code, out, err = _cli(capsys, "--corpus", str(small_corpus), "--index", str(index), "index")
    assert code == 0 and "(chunks.sqlite: not a readable sqlite database" in out, err
    assert IndexStore.open(index).manifest.checksums  # the rebuilt version records them


def test_a_manifest_edited_by_hand_no_longer_matches_its_digest(index):
    path = _version(index) / "manifest.json"
    data = json.loads(path.read_text())
    data["dense"]["nprobe"] = 1  # parses, and would quietly change every search
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(CorruptIndexError, match=r"manifest\.json: its contents do not match"):
        IndexStore.open(index)


def test_start_up_repairs_a_corrupt_index(small_corpus, index, capsys):
    from assistant.index import ensure_index

    version = _version(index)
    _cut(version / "dense.faiss")
    settings = Settings.from_env({}, corpus_dir=small_corpus, index_dir=index)
    assert ensure_index(settings) == "corrupt"
    err = capsys.readouterr().err
    assert "index corrupt: indexing" in err and "note: the published version is corrupt " \
        "(dense.faiss: " in err
    assert index_status(small_corpus, index, HASH_SETTINGS) == "fresh"
    assert Retriever.open(index, embedder=FakeEmbedder()).search("pay freeze", k=1)
