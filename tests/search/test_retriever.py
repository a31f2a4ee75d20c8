from datetime import date

import pytest

from assistant import Settings, build_index
from assistant.search.retriever import Retriever
from tests.conftest import DEV_SET


@pytest.fixture
def retriever(small_corpus, tmp_path, hash_embedder):
    build_index(small_corpus, tmp_path / "index", settings=Settings.from_env({}),
                embedder=hash_embedder)
    return Retriever.open(tmp_path / "index", embedder=hash_embedder)


def test_hits_carry_metadata(retriever):
    hits = retriever.search("balloted industrial action pay freeze", k=3)
    top = hits[0]
    assert top.kind == "post" and top.title == "Unions Ballot Over Pay"
    assert top.date == date(2014, 3, 3) and top.source == "a.txt"
    assert set(top.as_dict()) == {"text", "score", "source", "title", "date", "kind", "author",
                                  "chunk_id", "comment_number", "reply_to", "url", "post_id"}
    assert top.as_dict()["date"] == "2014-03-03"


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_modes_all_find_the_obvious_passage(retriever, mode):
    hits = retriever.search("shipyard defence company contract", k=2, mode=mode)
    assert hits and "shipyard" in hits[0].text


def test_filters(retriever):
    comments = retriever.search("pay", k=10, kind="comment")
    assert comments and all(h.kind == "comment" for h in comments)
    by_author = retriever.search("pay caseloads", k=10, author="getafix")
    assert [h.author for h in by_author] == ["Getafix"]
    assert retriever.search("contract", k=10, since="2014-03-04", until="2014-03-04")[0].title \
        == "Trident Contract Awarded"
    assert retriever.search("pay", k=10, since="2015-01-01") == []


@pytest.mark.parametrize("kwargs,message", [
    ({"query": "   "}, "empty"),
    ({"query": "x", "k": 0}, "k must be"),
    ({"query": "x", "k": 1000}, "k must be"),
    ({"query": "x", "since": "03/03/2014"}, "YYYY-MM-DD"),
    ({"query": "x", "since": "2015-01-01", "until": "2014-01-01"}, "after"),
    ({"query": "x", "kind": "reply"}, "kind must be"),
    ({"query": "x", "mode": "magic"}, "mode must be"),
])
def test_bad_queries_get_clear_errors(retriever, kwargs, message):
    with pytest.raises(ValueError, match=message):
        retriever.search(**kwargs)


def test_query_with_only_unknown_words_still_answers(retriever):
    assert retriever.search("zzzqqq", k=2, mode="bm25") == []
    assert len(retriever.search("zzzqqq", k=2, mode="hybrid")) == 2


def test_near_duplicate_passages_collapse(small_corpus, tmp_path, hash_embedder):
    quote = ("The ballot opens next week and closes at the end of the month, said the union "
             "in a statement to all members.")
    (small_corpus / "c.txt").write_text(
        f"Friday 7 March 2014\n\nQuoted Again\n\n{quote}\n")
    (small_corpus / "d.txt").write_text(
        f"Saturday 8 March 2014\n\nQuoted Once More\n\n{quote}\n")
    build_index(small_corpus, tmp_path / "index", settings=Settings.from_env({}),
                embedder=hash_embedder)
    hits = Retriever.open(tmp_path / "index", embedder=hash_embedder).search(
        "ballot opens next week closes end of month statement", k=5)
    assert sum(quote in h.text for h in hits) == 1


@pytest.mark.slow
def test_shipped_corpus_meets_retrieval_targets(shipped_index):
    from assistant.evaluation import load_questions, retrieval_metrics

    if not DEV_SET.exists():
        pytest.skip("shared/eval/dev.jsonl not present")
    retriever = Retriever.open(shipped_index)
    results = retrieval_metrics(retriever, load_questions(DEV_SET))
    hybrid = results["hybrid"]
    # Regression guard at the measured level (README, "Retrieval quality"): 12 of 13 in the
    # top 5. The aim is 0.95 / 0.85; see the README for what stands in the way.
    assert hybrid["recall@5"] >= 0.92 and hybrid["mrr"] >= 0.75
    for alone in ("dense", "bm25"):
        assert hybrid["recall@5"] >= results[alone]["recall@5"]
        assert hybrid["recall@10"] >= results[alone]["recall@10"]


@pytest.mark.slow
def test_searched_as_asked_follow_ups_and_filtered_questions_find_their_evidence(
        shipped_index):
    from assistant.answer.assistant import Assistant
    from assistant.evaluation import as_asked, load_questions, retrieval_metrics

    hard = DEV_SET.with_name("dev-hard.jsonl")
    if not hard.exists():
        pytest.skip("shared/eval/dev-hard.jsonl not present")
    questions = [q for q in load_questions(hard) if q.kind in ("followup", "filtered")]
    retriever = Retriever.open(shipped_index)
    written = retrieval_metrics(retriever, questions, modes=("hybrid",))["hybrid"]
    asked = retrieval_metrics(retriever, questions, modes=("hybrid",),
                              asked=as_asked(Assistant(retriever)), label=" as asked")
    # measured: 0.73 as written (a follow-up's "she", "those pilots"; "the commenter papa"
    # without the author filter), 1.00 as the assistant searches them
    assert asked["hybrid as asked"]["recall@5"] > written["recall@5"]
    assert asked["hybrid as asked"]["recall@5"] >= 0.9


@pytest.mark.slow
def test_shipped_corpus_filters_by_kind_and_date(shipped_index):
    retriever = Retriever.open(shipped_index)
    hits = retriever.search("Purple Futures partnership led by", k=5, kind="comment")
    assert hits and all(h.kind == "comment" and h.comment_number for h in hits)
    dated = retriever.search("redundancy", k=5, since="2016-09-01", until="2016-09-30")
    assert dated and all(date(2016, 9, 1) <= h.date <= date(2016, 9, 30) for h in dated)


def test_index_of_only_unreadable_files_searches_to_nothing(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_text("")
    report = build_index(corpus, tmp_path / "index", settings=Settings.from_env({}),
                         embedder=hash_embedder)
    assert report.chunks_total == 0 and len(report.skipped) == 1
    retriever = Retriever.open(tmp_path / "index", embedder=hash_embedder)
    for mode in ("hybrid", "dense", "bm25"):
        assert retriever.search("anything at all", k=3, mode=mode) == []


@pytest.mark.parametrize("index_type", ["ivf", "hnsw"])
def test_filters_and_modes_with_approximate_indexes(small_corpus, tmp_path, hash_embedder,
                                                    index_type):
    settings = Settings.from_env({}, index_type=index_type)
    build_index(small_corpus, tmp_path / "index", settings=settings, embedder=hash_embedder)
    retriever = Retriever.open(tmp_path / "index", embedder=hash_embedder)
    assert retriever.manifest["dense"]["kind"] == index_type
    for mode in ("dense", "bm25", "hybrid"):
        assert "shipyard" in retriever.search("shipyard defence contract", k=2, mode=mode)[0].text
    assert [h.author for h in retriever.search("pay caseloads", k=10, author="getafix")] \
        == ["Getafix"]
    assert all(h.kind == "comment" for h in retriever.search("pay", k=10, kind="comment"))
    assert retriever.search("pay", k=10, since="2015-01-01") == []


def test_stats_and_search_do_not_walk_the_index_folder(retriever, monkeypatch):
    from pathlib import Path

    def forbidden(*args, **kwargs):
        raise AssertionError("walked the folder")

    monkeypatch.setattr(Path, "rglob", forbidden)
    assert retriever.stats()["index_bytes"] > 0
    assert retriever.search("pay", k=3, kind="post", since="2014-01-01")
