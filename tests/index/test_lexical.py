from datetime import date

import numpy as np
import pytest

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import CorruptIndexError, IndexStore
from assistant.index.lexical import BadPostings, LexicalIndex, LexicalRow
from assistant.index.versions import read_current

TEXTS = [
    "The union balloted members on industrial action over the pay freeze.",
    "Probation officers describe caseloads that keep growing every month.",
    "The shipyard contract went to a defence company.",
    "Pay and caseloads: the union says both matter to probation staff.",
    "A comment about the weather and nothing else.",
]


def _rows(texts=TEXTS, start=1):
    return [LexicalRow(start + i, t, date(2014, 3, 1 + i), "post" if i % 2 == 0 else "comment")
            for i, t in enumerate(texts)]


def test_scores_match_bm25s():
    import bm25s

    from assistant.index.lexical import BM25_STEMMER

    index = LexicalIndex.empty().updated(np.zeros(0, np.int64), _rows())
    import Stemmer

    tokens = bm25s.tokenize(TEXTS, stopwords="en", stemmer=Stemmer.Stemmer(BM25_STEMMER),
                            show_progress=False)
    reference = bm25s.BM25()
    reference.index(tokens, show_progress=False)
    for query in ("union pay", "caseloads probation", "shipyard defence contract"):
        q = bm25s.tokenize([query], stopwords="en", stemmer=Stemmer.Stemmer(BM25_STEMMER),
                           return_ids=False, show_progress=False)[0]
        docs, scores = reference.retrieve([q], k=5, show_progress=False)
        expected = {int(d) + 1: float(s) for d, s in zip(docs[0], scores[0], strict=True) if s}
        got = dict(index.search(query, 5))
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, rel=1e-4)


def test_update_equals_fresh_build_and_survives_save(tmp_path):
    base = LexicalIndex.empty().updated(np.zeros(0, np.int64), _rows(TEXTS[:4]))
    base.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    updated = loaded.updated(np.asarray([2], np.int64), _rows(TEXTS[4:], start=5))
    fresh = LexicalIndex.empty().updated(
        np.zeros(0, np.int64), [r for r in _rows() if r.id != 2])
    assert sorted(updated.ids.tolist()) == [1, 3, 4, 5]
    for query in ("caseloads union pay", "weather comment"):
        assert dict(updated.search(query, 5)) == pytest.approx(dict(fresh.search(query, 5)))
    assert not any(i == 2 for i, _ in updated.search("caseloads growing month", 5))


def test_filter_mask_and_rows():
    index = LexicalIndex.empty().updated(np.zeros(0, np.int64), _rows())
    mask = index.filter_mask(date(2014, 3, 2), date(2014, 3, 4), "comment")
    assert index.ids[mask].tolist() == [2, 4]
    hits = index.search("union pay caseloads", 5, mask)
    assert [i for i, _ in hits] == [4, 2]
    assert index.rows_of(np.asarray([5, 1])).tolist() == [4, 0]


def test_empty_and_unknown_words():
    empty = LexicalIndex.empty()
    assert empty.search("anything", 3) == []
    index = LexicalIndex.empty().updated(np.zeros(0, np.int64), _rows())
    assert index.search("zzzqqq", 3) == []


def test_flipped_bm25_offsets_are_refused_not_a_segfault(small_corpus, tmp_path):
    """Eight flipped bytes in ``ptr.npy`` (sizes unchanged, so an open's checks pass) crashed
    the process in scipy's ``tocsc`` (``benchmarks.corruption``)."""
    index = tmp_path / "index"
    build_index(small_corpus, index, settings=Settings.from_env({}), embedder=FakeEmbedder())
    version = read_current(index)
    path = version / "lexical" / "ptr.npy"
    data = bytearray(path.read_bytes())
    start = len(data) - np.load(path).nbytes
    for i in range(start + 8, start + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(BadPostings, match=r"ptr\.npy: row offsets"):
        LexicalIndex.load(version / "lexical")
    store = IndexStore(version)
    try:
        with pytest.raises(CorruptIndexError, match=r"\(lexical/ptr\.npy: row offsets out of "
                                                    r"order or out of range\): run"):
            store.lexical  # noqa: B018  (loading is the point)
    finally:
        store.close()
