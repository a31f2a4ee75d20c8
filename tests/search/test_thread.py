"""A whole post with its comment thread: ``Retriever.thread`` over a small real index (fake
embedder), rebuilt from the passages ``ChunkStore.post_chunks`` reads back."""

from __future__ import annotations

from datetime import date

import pytest

import assistant.search.retriever as retriever_module
from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import IndexStore
from assistant.ingest import parse_text
from assistant.records import Chunk
from assistant.search.retriever import Retriever
from assistant.search.thread import Thread, thread_of

BODY_SENTENCES = [f"Paragraph sentence {n} says the probation office {n} lost a member of "
                  f"staff this spring." for n in range(1, 19)]
LONG_COMMENT = [f"Point {n} of my reply is that caseload {n} is far too high for anyone."
                for n in range(1, 11)]

# One long post (several passages) and a thread: two replies to the first comment's
# author and the second comment (long: several passages) with two replies of its own. The
# second comment is written before the first one's reply, on the same day, so reading
# order is the thread's, not the clock's.
THREAD_POST = f"""Monday 3 March 2014

Office Closures Announced

{" ".join(BODY_SENTENCES[:6])}

{" ".join(BODY_SENTENCES[6:12])}

{" ".join(BODY_SENTENCES[12:])}

6 comments:

  1. The closures were always coming, we were told in January.
    Getafix3 March 2014 at 10:15

    ReplyDelete
    Replies
    1. Nobody told us in January, that is not true.
      papa3 March 2014 at 11:20

      Delete
  2. {LONG_COMMENT[0]}
    Anonymous3 March 2014 at 10:40

    {" ".join(LONG_COMMENT[1:])}

    ReplyDelete
    Replies
    1. Caseloads were high before the closures too.
      Getafix4 March 2014 at 09:00

      Delete
    2. Agreed, and they will rise again.
      FranK2 April 2014 at 08:00

      Delete
  3. Does anyone know which offices stay open?
    papa5 April 2014 at 16:45

    ReplyDelete
"""

# Another post, in its own file, so a thread holds only its own post's passages.
OTHER_POST = """Tuesday 4 March 2014

Trident Contract Awarded

The shipyard contract went to a defence company. It has nothing to do with probation.

1 comment:

  1. Good news for the shipyard at least.
    Getafix4 March 2014 at 12:00

    ReplyDelete
"""

# Nothing but comments (no date line, no body): a thread without its post.
COMMENTS_ONLY = """2 comments:

  1. Is anyone else reading this from the north?
    Getafix3 March 2014 at 10:15

    ReplyDelete
    Replies
    1. Yes, every morning.
      papa3 March 2014 at 11:20

      Delete
  2. Getafix asked the right question.

    ReplyDelete
"""

NUMBERS = ["1", "1.1", "2", "2.1", "2.2", "3"]


def _post_id(text: str, source: str) -> str:
    (post,) = parse_text(text, source)
    return post.post_id


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    root = tmp_path_factory.mktemp("thread")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "closures.txt").write_text(THREAD_POST)
    (corpus / "trident.txt").write_text(OTHER_POST)
    (corpus / "talk.txt").write_text(COMMENTS_ONLY)
    settings = Settings.from_env({}, chunk_tokens=60, chunk_overlap=30)
    build_index(corpus, root / "index", settings=settings, embedder=FakeEmbedder())
    retriever = Retriever(IndexStore.open(root / "index"), FakeEmbedder())
    yield retriever
    retriever.close()


@pytest.fixture(scope="module")
def post_id() -> str:
    return _post_id(THREAD_POST, "closures.txt")


@pytest.fixture(scope="module")
def stored(retriever, post_id):
    """Every passage of the post as stored, in the order the chunker made them."""
    store = retriever.store
    chunks = store.chunks_by_ids(store.all_ids().tolist()).values()
    return sorted((c for c in chunks if c.post_id == post_id), key=lambda c: c.position)


def test_the_fixture_cuts_the_body_and_a_comment_into_several_passages(stored):
    body = [c for c in stored if c.kind == "post"]
    assert len(body) >= 3
    numbers = [c.comment_number for c in stored if c.kind == "comment"]
    assert sorted(set(numbers)) == sorted(NUMBERS)
    assert numbers.count("2") >= 2
    assert all(numbers.count(n) == 1 for n in NUMBERS if n != "2")


def test_the_post_body_is_its_passages_in_order_with_the_overlap_dropped(retriever, post_id,
                                                                         stored):
    thread = retriever.thread(post_id)
    assert isinstance(thread, Thread)
    assert (thread.post_id, thread.title, thread.left_out) == (post_id, "Office Closures "
                                                               "Announced", 0)
    post = thread.post
    assert post is not None and post.kind == "post" and post.depth == 0
    assert post.date == date(2014, 3, 3) and post.reply_to is None and post.number is None
    body = [c for c in stored if c.kind == "post"]
    assert post.chunk_ids == tuple(c.chunk_id for c in body)
    assert post.chunk_texts == tuple(c.text for c in body)
    # the passages overlap; the text says each sentence once, in order
    assert sum(len(c.text) for c in body) > len(post.text)
    at = [post.text.index(s) for s in BODY_SENTENCES]
    assert at == sorted(at)
    assert all(post.text.count(s) == 1 for s in BODY_SENTENCES)
    assert post.text.startswith(BODY_SENTENCES[0])
    assert post.text.endswith(BODY_SENTENCES[-1])
    for text in post.chunk_texts:
        assert text in post.text


def test_comments_follow_in_thread_order_with_replies_nested(retriever, post_id):
    comments = retriever.thread(post_id).comments
    assert [c.number for c in comments] == NUMBERS
    assert all(c.kind == "comment" for c in comments)
    assert [c.author for c in comments] == ["Getafix", "papa", "Anonymous", "Getafix",
                                            "FranK", "papa"]
    assert [c.reply_to for c in comments] == [None, "Getafix", None, "Anonymous",
                                              "Anonymous", None]
    assert [c.depth for c in comments] == [0, 1, 0, 1, 1, 0]
    assert [c.date for c in comments] == [date(2014, 3, 3), date(2014, 3, 3),
                                          date(2014, 3, 3), date(2014, 3, 4),
                                          date(2014, 4, 2), date(2014, 4, 5)]
    # each reply sits under its parent: the nearest earlier comment one level up
    for i, comment in enumerate(comments):
        if comment.depth == 0:
            continue
        parent = next(c for c in reversed(comments[:i]) if c.depth == comment.depth - 1)
        assert parent.number == comment.number.rpartition(".")[0]
        assert parent.author == comment.reply_to


def test_a_comment_of_several_passages_is_one_entry(retriever, post_id, stored):
    comments = {c.number: c for c in retriever.thread(post_id).comments}
    long_one = comments["2"]
    parts = [c for c in stored if c.comment_number == "2"]
    assert len(parts) >= 2
    assert long_one.chunk_ids == tuple(c.chunk_id for c in parts)
    at = [long_one.text.index(s) for s in LONG_COMMENT]
    assert at == sorted(at)
    assert all(long_one.text.count(s) == 1 for s in LONG_COMMENT)
    assert comments["1.1"].text == "Nobody told us in January, that is not true."
    assert len(comments["1.1"].chunk_ids) == 1


def test_every_passage_of_the_post_is_in_the_thread_once(retriever, post_id, stored):
    thread = retriever.thread(post_id)
    ids = list(thread.post.chunk_ids) + [i for c in thread.comments for i in c.chunk_ids]
    assert sorted(ids) == sorted(c.chunk_id for c in stored)
    assert len(ids) == len(set(ids))


def test_another_posts_thread_holds_only_its_own_passages(retriever, post_id):
    other = retriever.thread(_post_id(OTHER_POST, "trident.txt"))
    assert other.title == "Trident Contract Awarded"
    assert other.post.text == ("The shipyard contract went to a defence company. It has "
                               "nothing to do with probation.")
    assert [(c.number, c.author, c.text) for c in other.comments] == [
        ("1", "Getafix", "Good news for the shipyard at least.")]
    mine = set(retriever.thread(post_id).post.chunk_ids)
    assert not mine & set(other.post.chunk_ids)


def test_as_dict(retriever, post_id):
    thread = retriever.thread(post_id)
    as_dict = thread.as_dict()
    assert as_dict["post_id"] == post_id and as_dict["left_out"] == 0
    assert as_dict["post"]["date"] == "2014-03-03"
    assert as_dict["post"]["chunk_ids"] == list(thread.post.chunk_ids)
    assert [c["number"] for c in as_dict["comments"]] == NUMBERS
    assert [c["depth"] for c in as_dict["comments"]] == [0, 1, 0, 1, 1, 0]
    assert as_dict["comments"][1]["reply_to"] == "Getafix"
    assert set(as_dict["comments"][0]) == {"kind", "author", "date", "number", "url",
                                           "reply_to", "depth", "text", "chunk_ids"}


def test_an_unknown_post_is_a_key_error(retriever):
    with pytest.raises(KeyError, match="no post 'nope' in the index"):
        retriever.thread("nope")
    with pytest.raises(KeyError):
        retriever.thread("")


def test_post_chunks_reads_the_body_then_the_comments_up_to_the_limit(retriever, post_id,
                                                                      stored):
    store = retriever.store
    everything = store.post_chunks(post_id, 1000)
    assert sorted(c.chunk_id for c in everything) == sorted(c.chunk_id for c in stored)
    kinds = [c.kind for c in everything]
    assert kinds == sorted(kinds, key=lambda k: k == "comment")  # the body first
    first_two = store.post_chunks(post_id, 2)
    assert [c.chunk_id for c in first_two] == [c.chunk_id for c in stored[:2]]
    assert store.post_chunks("nope", 10) == []


def test_the_passages_past_the_limit_are_left_out(retriever, post_id, stored, monkeypatch):
    monkeypatch.setattr(retriever_module, "MAX_THREAD_PASSAGES", 3)
    thread = retriever.thread(post_id)
    assert thread.left_out >= 1
    shown = list(thread.post.chunk_ids) + [i for c in thread.comments for i in c.chunk_ids]
    assert shown == [c.chunk_id for c in stored[:3]]
    assert thread.comments == ()
    monkeypatch.setattr(retriever_module, "MAX_THREAD_PASSAGES", len(stored))
    assert retriever.thread(post_id).left_out == 0
    monkeypatch.setattr(retriever_module, "MAX_THREAD_PASSAGES", len(stored) - 1)
    assert retriever.thread(post_id).left_out == 1


def test_left_out_counts_every_passage_past_the_limit(retriever, post_id, stored,
                                                      monkeypatch):
    monkeypatch.setattr(retriever_module, "MAX_THREAD_PASSAGES", 3)
    assert retriever.thread(post_id).left_out == len(stored) - 3


def test_a_thread_of_comments_only_has_no_post(retriever):
    thread = retriever.thread(_post_id(COMMENTS_ONLY, "talk.txt"))
    assert thread.post is None and thread.title == "talk"
    assert [(c.number, c.depth, c.reply_to) for c in thread.comments] == [
        ("1", 0, None), ("1.1", 1, "Getafix"), ("2", 0, None)]
    assert thread.as_dict()["post"] is None


def _comment(number, author, reply_to=None, position=0):
    return Chunk(chunk_id=f"c{number}", post_id="p", source="s.txt", title="T",
                 date=date(2014, 3, 3), kind="comment", author=author, comment_number=number,
                 position=position, text=f"Comment {number}.", reply_to=reply_to)


def test_an_undotted_reply_nests_under_the_latest_comment_of_its_parents_author():
    chunks = [_comment("1", "Getafix"), _comment("2", "papa", reply_to="Getafix"),
              _comment("3", "FranK", reply_to="papa"), _comment("4", "Ann", reply_to="Zed"),
              _comment("5", "Bob")]
    thread = thread_of(chunks)
    assert [c.depth for c in thread.comments] == [0, 1, 2, 1, 0]
    assert thread.post is None and thread.post_id == "p" and thread.left_out == 0


def test_thread_of_nothing_is_none():
    assert thread_of([]) is None
