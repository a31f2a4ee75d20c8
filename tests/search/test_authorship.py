from pathlib import Path

from assistant import Settings
from assistant.index import IndexStore, build_index
from assistant.search.authorship import is_authorship_question, promote_sign_offs

GUEST_POST = """Monday 26 September 2016

How We Got Here

I notice that a report has prompted this analysis on Facebook of how we got here:-

{body}

David Raho

I wonder what evidence the author has for this assertion?
"""


def test_authorship_questions_are_recognised():
    assert is_authorship_question("Who wrote the Facebook analysis of privatisation?")
    assert is_authorship_question("who signed the letter to members about pay")
    assert is_authorship_question("Who is the author of the piece on CRCs?")
    assert is_authorship_question("Which writer penned the guest blog?")
    assert not is_authorship_question("Who leads the Purple Futures partnership?")
    assert not is_authorship_question("What did readers write about the contracts?")
    assert not is_authorship_question("How long will the contracts run for?")


def _store(tmp_path: Path, embedder) -> IndexStore:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Two-digit numbers: BM25 drops one-character tokens, and paragraphs differing only in
    # "step 3" / "step 4" would be copies of one sentence to ``search.novelty``.
    body = "\n\n".join(
        f"Grayling privatised probation step {i} and the bidders were told to innovate "
        f"with operating models while staff carried the service through round {i}."
        for i in range(10, 22))
    (corpus / "guest.txt").write_text(GUEST_POST.format(body=body))
    build_index(corpus, tmp_path / "index", settings=Settings.from_env({}), embedder=embedder)
    return IndexStore.open(tmp_path / "index")


def _rows(store: IndexStore) -> dict[int, tuple[str | None, str]]:
    return {r[0]: (r[1], r[2]) for r in store.db.execute(
        "SELECT id, author, text FROM chunks ORDER BY position")}


def test_sign_off_passage_is_put_ahead_of_its_section(tmp_path, hash_embedder):
    store = _store(tmp_path, hash_embedder)
    rows = _rows(store)
    signed = [i for i, (a, _) in rows.items() if a == "David Raho"]
    sign_off = next(i for i in signed if "David Raho" in rows[i][1])
    first = signed[0]
    assert first != sign_off
    unsigned = next(i for i, (a, _) in rows.items() if a is None)
    ordered = [(unsigned, 0.9), (first, 0.8)]
    promoted = promote_sign_offs(ordered, store)
    assert promoted == [(unsigned, 0.9), (sign_off, 0.8), (first, 0.8)]
    # nothing moves when no top passage belongs to a signed section
    assert promote_sign_offs([(unsigned, 0.9)], store) == [(unsigned, 0.9)]
    # the sign-off passage itself is not duplicated
    assert promote_sign_offs([(sign_off, 0.9), (first, 0.5)], store) == \
        [(sign_off, 0.9), (first, 0.5)]


def test_search_brings_in_the_sign_off_for_who_wrote_questions(tmp_path, hash_embedder):
    from assistant.search.retriever import Retriever

    _store(tmp_path, hash_embedder)
    retriever = Retriever.open(tmp_path / "index", embedder=hash_embedder)
    topic = "Grayling privatised probation bidders innovate operating models step 13"
    plain = retriever.search(topic, k=2, mode="bm25")
    # every passage matches the topic; the one holding the name is not the best of them
    assert "David Raho" not in plain[0].text
    asked = retriever.search(f"Who wrote the analysis: {topic}?", k=2, mode="bm25")
    assert "David Raho" in asked[0].text and asked[0].author == "David Raho"
