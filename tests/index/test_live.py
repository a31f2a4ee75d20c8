"""``LiveIndex``: a long-lived reader swaps to a newly published version; searches under
way finish on the version they began on, which stays leased until the last one ends."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import IndexStore
from assistant.index.live import LiveIndex

WAIT_S = 30  # bound on waiting for the background swap (a hang fails, a slow machine not)


def _settings(corpus: Path, index: Path) -> Settings:
    return Settings.from_env({}, corpus_dir=corpus, index_dir=index, parse_workers=1)


def _add_and_build(corpus: Path, index: Path, name: str, embedder=None) -> str:
    (corpus / f"{name}.txt").write_text(
        f"Monday 3 March 2014\n\nAbout {name}\n\nThe {name} was seen near the office.\n")
    report = build_index(corpus, index, settings=_settings(corpus, index),
                         embedder=embedder or FakeEmbedder())
    assert report.published
    return report.version


def _titles(store: IndexStore) -> set[str]:
    return set(store.titles())


def test_refresh_swaps_and_a_search_under_way_keeps_its_version(small_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(small_corpus, index, settings=_settings(small_corpus, index),
                embedder=FakeEmbedder())
    live = LiveIndex(IndexStore.open(index))
    assert not live.refresh()  # nothing new
    with live.use() as before:  # a search in progress across the publish and the swap
        version = _add_and_build(small_corpus, index, "heron")
        assert live.refresh() and live.store.path.name == version
        assert "About heron" not in _titles(before)  # still open, on its own version
        assert before.lease.held
        with live.use() as after:
            assert "About heron" in _titles(after)
    assert not before.lease.held  # closed when its last search ended
    assert live.store.lease.held
    live.close()
    assert not live.store.lease.held


def test_a_watching_index_swaps_in_the_background(small_corpus, tmp_path):
    index = tmp_path / "index"
    build_index(small_corpus, index, settings=_settings(small_corpus, index),
                embedder=FakeEmbedder())
    live = LiveIndex(IndexStore.open(index), check_every=0.0)
    first = live.store
    version = _add_and_build(small_corpus, index, "badger")
    deadline = time.monotonic() + WAIT_S
    while live.store is first and time.monotonic() < deadline:
        with live.use():  # each search looks at CURRENT; the swap itself is off this path
            time.sleep(0.01)
    assert live.store.path.name == version
    assert not first.lease.held
    live.close()


def test_a_version_refused_by_accept_is_not_served(small_corpus, tmp_path, caplog):
    index = tmp_path / "index"
    build_index(small_corpus, index, settings=_settings(small_corpus, index),
                embedder=FakeEmbedder())

    def accept(store: IndexStore) -> None:
        if store.manifest.embedding_model != FakeEmbedder.model_id:
            raise ValueError(f"built with {store.manifest.embedding_model}")

    live = LiveIndex(IndexStore.open(index), accept=accept)
    served = live.store.path
    other = FakeEmbedder(model_id="another-model")
    build_index(small_corpus, index, settings=_settings(small_corpus, index), embedder=other,
                rebuild=True)
    with caplog.at_level(logging.WARNING, logger="assistant.index.live"):
        assert not live.refresh()
    assert live.store.path == served
    assert "built with another-model" in caplog.text
    live.close()
