from datetime import date
from itertools import pairwise

from assistant.ingest.chunking import ChunkerConfig, chunk_post
from assistant.records import Comment, Post, faiss_id
from assistant.text import count_tokens, split_sentences


def _post(body: str, comments=()) -> Post:
    return Post(source="x.txt", title="Title", body=body, date=date(2016, 9, 30),
                comments=tuple(comments))


def test_split_sentences_keeps_abbreviations_and_bullets():
    text = "Mr. Smith met Dr. Jones. They agreed.\n\n  • First point\n  • Second point"
    assert split_sentences(text) == [
        "Mr. Smith met Dr. Jones.", "They agreed.", "• First point", "• Second point"]


def test_a_flattened_list_splits_at_each_bullet():
    text = "Key findings: • Supply chains are small. • While inspectors saw some, few were new."
    assert split_sentences(text) == [
        "Key findings:", "• Supply chains are small.", "• While inspectors saw some, few were new."]


def test_chunks_keep_paragraph_breaks_so_headings_and_sign_offs_stay_sentences():
    body = ("Raising our concerns\n\nWe raised these issues with the director. We are "
            "exploring options with them.\n\nJane Smith Branch Chair")
    (chunk,) = chunk_post(_post(body))
    assert chunk.text == ("Raising our concerns\n\nWe raised these issues with the director. "
                          "We are exploring options with them.\n\nJane Smith Branch Chair")
    assert split_sentences(chunk.text)[:2] == ["Raising our concerns",
                                              "We raised these issues with the director."]


def test_chunks_respect_token_budget_and_overlap():
    sentences = [f"Sentence number {i} talks about probation contracts and pay." for i in range(80)]
    config = ChunkerConfig(max_tokens=60, overlap_tokens=15)
    chunks = chunk_post(_post(" ".join(sentences)), config)
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 60 for c in chunks)
    # consecutive chunks share their boundary sentence (overlap), and every sentence survives
    for first, second in pairwise(chunks):
        assert first.text.split(". ")[-1].rstrip(".") in second.text
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_overlong_sentence_is_split_at_words():
    words = [f"word{i}" for i in range(500)]
    chunks = chunk_post(_post(" ".join(words)), ChunkerConfig(max_tokens=50, overlap_tokens=10))
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert set(" ".join(c.text for c in chunks).split()) == set(words)


def test_comments_never_share_a_chunk_and_carry_metadata():
    post = _post("The body of the post.", [
        Comment("1", "First comment text.", "Anonymous", date(2016, 10, 1)),
        Comment("1.1", "A reply.", None, None),
    ])
    chunks = chunk_post(post)
    assert [(c.kind, c.comment_number) for c in chunks] == [
        ("post", None), ("comment", "1"), ("comment", "1.1")]
    first = chunks[1]
    assert first.author == "Anonymous" and first.date == date(2016, 10, 1)
    assert chunks[2].date == date(2016, 9, 30)  # a reply without a timestamp inherits the post's
    assert "Reader comment by Anonymous" in first.embed_text
    assert "Title (1 October 2016)" in first.embed_text
    assert first.text == "First comment text."


def test_ids_are_content_hashes():
    a = chunk_post(_post("Same text here."))
    b = chunk_post(_post("Same text here."))
    c = chunk_post(_post("Different text here."))
    assert a[0].chunk_id == b[0].chunk_id != c[0].chunk_id
    assert 0 <= faiss_id(a[0].chunk_id) < 2**63


def test_repeated_paragraph_is_chunked_once():
    para = "This paragraph is repeated verbatim in the post, which happens in blog exports."
    chunks = chunk_post(_post(f"{para}\n\nSomething else entirely.\n\n{para}"),
                        ChunkerConfig(max_tokens=20, overlap_tokens=0))
    assert sum(para in c.text for c in chunks) == 1



def test_run_on_sentences_without_a_space_are_split():
    text = "It was confirmed today.Purple Futures, led by Interserve, won. See www.mirror.co.uk."
    assert split_sentences(text, run_ons=True) == [
        "It was confirmed today.", "Purple Futures, led by Interserve, won.",
        "See www.mirror.co.uk."]
    assert len(split_sentences(text)) == 2


def test_chunks_stop_at_a_sign_off_and_carry_its_writer():
    quoted = " ".join(f"Point {i}: the contracts failed the staff and the public."
                      for i in range(60))
    after = "I find this interesting. Readers will have views on it."
    post = _post(f"{quoted}\n\nDavid Raho\n\n{after}")
    chunks = chunk_post(post, ChunkerConfig(max_tokens=120, overlap_tokens=30))
    signed = [c for c in chunks if c.author == "David Raho"]
    assert len(signed) >= 3 and all(c.kind == "post" for c in signed)
    assert signed[-1].text.endswith("David Raho")
    assert "Post by David Raho:" in signed[0].header
    (last,) = [c for c in chunks if c.author is None]
    assert last.text == after  # no overlap carried across the sign-off
