from itertools import pairwise

import numpy as np

from assistant import Settings, build_index
from assistant.index import IndexStore

SIGNED = """Monday 26 September 2016

How We Got Here

I notice that a report has prompted this analysis on Facebook of how we got here:-

{body}

David Raho

I wonder what evidence the author has for this assertion?
"""


def _store(corpus, tmp_path, embedder) -> IndexStore:
    body = "\n\n".join(f"Step {i} of the privatisation, and the bidders were told to innovate "
                       f"with operating models while staff carried the service, round {i}."
                       for i in range(12))
    (corpus / "signed.txt").write_text(SIGNED.format(body=body))
    build_index(corpus, tmp_path / "index", settings=Settings.from_env({}), embedder=embedder)
    return IndexStore.open(tmp_path / "index")


def test_named_queries(small_corpus, tmp_path, hash_embedder):
    store = _store(small_corpus, tmp_path, hash_embedder)
    every = store.chunks_by_ids(store.all_ids().tolist())
    assert len(every) == store.count() == store.count("post") + store.count("comment")
    by_author = store.ids_by_author("david RAHO")  # any case
    assert by_author.dtype == np.int64 and len(by_author) > 1
    assert {every[i].author for i in by_author.tolist()} == {"David Raho"}
    assert len(store.ids_by_author("nobody")) == 0
    authors = store.authors()
    assert authors[0] == "David Raho" and "Getafix" in authors and "" not in authors
    assert store.authors(limit=1) == ["David Raho"]
    assert store.titles() == sorted({c.title for c in every.values()})


def test_sign_offs_map_a_signed_passage_to_the_one_with_the_name(small_corpus, tmp_path,
                                                                hash_embedder):
    store = _store(small_corpus, tmp_path, hash_embedder)
    signed = sorted((c.position, i) for i, c in store.chunks_by_ids(
        store.ids_by_author("David Raho").tolist()).items())
    chunks = store.chunks_by_ids([i for _, i in signed])
    sign_off = next(i for _, i in reversed(signed) if "David Raho" in chunks[i].text)
    first = signed[0][1]
    assert store.sign_offs([first]) == {first: sign_off}
    assert store.sign_offs([sign_off]) == {}  # already holds the name
    assert store.sign_offs([]) == {}


def test_the_passage_before_one_in_the_same_piece(small_corpus, tmp_path, hash_embedder):
    store = _store(small_corpus, tmp_path, hash_embedder)
    every = sorted(store.chunks_by_ids(store.all_ids().tolist()).values(),
                   key=lambda c: (c.source, c.position))
    signed = [c for c in every if c.source == "signed.txt" and c.kind == "post"]
    assert len(signed) > 2
    assert store.previous_text(signed[0].chunk_id) is None  # a piece's first passage
    for before, after in pairwise(signed):
        if before.author == after.author:  # the same signed section
            assert store.previous_text(after.chunk_id) == before.text
    comment = next(c for c in every if c.kind == "comment")
    assert store.previous_text(comment.chunk_id) is None  # not the post body before it
    assert store.previous_text("no such chunk") is None


def test_most_discussed_counts_each_comment_once(small_corpus, tmp_path, hash_embedder):
    store = _store(small_corpus, tmp_path, hash_embedder)
    every = store.chunks_by_ids(store.all_ids().tolist()).values()
    comments: dict[str, set] = {}
    for chunk in every:
        if chunk.kind == "comment":
            comments.setdefault(chunk.title, set()).add(chunk.comment_number)
    expected = sorted(((t, len(n)) for t, n in comments.items()), key=lambda x: (-x[1], x[0]))
    assert store.most_discussed(5) == expected[:5] and expected
    assert store.most_discussed(1) == expected[:1]
