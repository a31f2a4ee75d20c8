"""``benchmarks.corruption``: its damages and how outcomes are classified, and its quick run
(real embedder, real command line) with every damage detected and repaired. The two gaps it
found (a segfault on flipped BM25 offsets, a server starting on checksum-only damage) are
tested in ``tests/index/test_lexical.py`` and ``tests/index/test_integrity.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import CorruptIndexError
from benchmarks.corruption import Trial, checks, outcome
from benchmarks.damages import damages_for

FILES = ["chunks.sqlite", "dense.faiss", "lexical/ptr.npy", "lexical/vocab.json",
         "dense_delta.npz", "manifest.json"]


def _version(index: Path) -> Path:
    return index / "versions" / (index / "CURRENT").read_text().strip()


@pytest.fixture
def version(small_corpus, tmp_path) -> Path:
    index = tmp_path / "index"
    build_index(small_corpus, index, settings=Settings.from_env({}), embedder=FakeEmbedder())
    return _version(index)


def test_two_damages_per_file_one_that_keeps_the_size_where_only_bytes_can_tell():
    damages = damages_for(FILES, "The shipyard contract went to a defence company.")
    assert [d.file for d in damages] == [f for f in FILES for _ in range(2)]
    for name in FILES:
        mine = [d for d in damages if d.file == name]
        assert len({d.kind for d in mine}) == 2
        if name != "manifest.json":
            assert any(d.same_size and not d.on_open for d in mine)  # checksums must tell
    assert all(d.on_open for d in damages if not d.same_size)  # sizes: an open catches them


def test_damages_do_what_they_say(version):
    stored = "The shipyard contract went to a defence company."
    for damage in damages_for([*json.loads((version / "manifest.json").read_text())["bytes"],
                               "manifest.json"], stored):
        path = version / damage.file
        before = path.read_bytes()
        damage.apply(path)
        after = path.read_bytes()
        assert after != before, damage
        assert (len(after) == len(before)) == damage.same_size or damage.file == "manifest.json"
        path.write_bytes(before)
    [flip] = [d for d in damages_for(["chunks.sqlite"], stored) if "chunk text" in d.kind]
    flip.apply(version / "chunks.sqlite")
    assert b"the shipyard contract" in (version / "chunks.sqlite").read_bytes()  # 'T' -> 't'


def test_outcome_of_a_plain_open():
    before = [(("id1", "text"),)]
    bad = CorruptIndexError("index version versions/v is corrupt (dense.faiss: 10 bytes "
                            "recorded, 5 found): run …")
    assert outcome(before, lambda: (_ for _ in ()).throw(bad), "dense.faiss") == "refused"
    assert outcome(before, lambda: (_ for _ in ()).throw(bad), "lexical/ids.npy") \
        .startswith("error: names another file")
    assert outcome(before, lambda: 1 / 0, "x") == "error: ZeroDivisionError: division by zero"
    assert outcome(before, lambda: list(before), "x") == "served unchanged"
    assert outcome(before, lambda: [(("id1", "texT"),)], "x") == "served damaged"


def test_detected_needs_verify_server_start_and_an_open_that_vouches_for_what_it_checks():
    def trial(on_open: bool, opened: str, start: str = "corrupt") -> Trial:
        return Trial("f", "k", True, on_open, "named", start, opened, 1.0, ())

    assert trial(True, "refused").detected
    assert not trial(True, "served damaged").detected  # sizes and structure: the open's job
    assert not trial(True, "error: IndexError: …").detected
    assert trial(False, "served damaged").detected  # checksum-only: counted in the figure
    assert not trial(False, "refused", start="fresh").detected  # a server would serve it


@pytest.mark.slow
def test_quick_corruption_all_detected_and_repaired():
    rows = checks(quick=True)
    assert [r.part for r in rows] == ["corruption detected", "corruption repaired"]
    assert rows[0].trials >= 9  # one damage per file of the version, and its manifest
    assert all(r.ok for r in rows), rows
