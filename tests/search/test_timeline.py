"""When a subject came up: ``Retriever.timeline`` over a small real index (fake embedder).

BM25 indexes a passage's post title and author with its text, so no title below holds the
words the queries look for: a comment matches by its own words.

The corpus below has posts and comments dated across 2014-2018 (none in 2017), a post and a
comment long enough to be cut into several passages, and one undated page with a comment,
so every count here is a count of documents, checked against the numbers written out by
hand from the fixture text.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import IndexStore
from assistant.search.filters import Filters
from assistant.search.retriever import MAX_QUERY_CHARS, Retriever
from assistant.search.timeline import (
    MATCH_SHARE,
    Bucket,
    Timeline,
    document_codes,
    matching_rows,
    subject_of,
    timeline_of,
)


def _sentences(topic: str, start: int, count: int) -> str:
    """``count`` distinct sentences about ``topic`` that all name the staff."""
    return " ".join(f"The {topic} meeting number {n} heard from staff at office {n} about "
                    f"their workload." for n in range(start, start + count))


# 2014-03-03: a long post (several passages) about redundancy, with two comments: one on
# the day (Getafix, about redundancy) and one a month later (papa, long: several passages).
# 2014-03-20: a post about pay with a comment and a reply to it (dated the day after).
A_2014 = f"""Monday 3 March 2014

Notices Issued in the Region

Redundancy notices went out to probation staff across the region this morning.

{_sentences("regional", 1, 6)}

{_sentences("branch", 10, 6)}

2 comments:

  1. Redundancy is coming for all of us in the community rehabilitation company.
    Getafix3 March 2014 at 10:15

    ReplyDelete
  2. The pay offer for staff is an insult and morale is low everywhere.
    papa5 April 2014 at 09:30

    {_sentences("union", 30, 8)}

    ReplyDelete

Thursday 20 March 2014

Pay Freeze Continues

The pay freeze for staff continues into a fifth year, the union says.

1 comment:

  1. Staff pay has been frozen far too long.
    Getafix20 March 2014 at 08:00

    ReplyDelete
    Replies
    1. Frozen pay is why I am leaving the service.
      FranK21 March 2014 at 12:00

      Delete
"""

# 2015-01-09: a post with no comments.
B_2015 = """Friday 9 January 2015

New Year Caseloads

Caseloads for staff rose again over the holiday period.
"""

# 2016-06-07: a post about redundancy with two comments (one about redundancy).
C_2016 = """Tuesday 7 June 2016

A Second Round

A second round of redundancy was announced for staff in the north.

2 comments:

  1. Redundancy twice in two years is a scandal.
    Getafix7 June 2016 at 09:05

    ReplyDelete
  2. Staff should ballot on industrial action now.
    papa8 June 2016 at 14:10

    ReplyDelete
"""

# 2018-11-14: a post with one comment. Nothing in 2017.
D_2018 = """Wednesday 14 November 2018

Pay Award Announced

A pay award for staff was finally announced by the ministry.

1 comment:

  1. Better late than never on pay.
    FranK15 November 2018 at 10:00

    ReplyDelete
"""

# No weekday date line and no date in the text: an undated page with one undated comment.
UNDATED = """Handbook Notes

A note about redundancy terms for staff who are moving between offices.

1 comment:

  1. A useful note on redundancy terms.

    ReplyDelete
"""

CORPUS = {"a2014.txt": A_2014, "b2015.txt": B_2015, "c2016.txt": C_2016,
          "d2018.txt": D_2018, "undated.txt": UNDATED}

POSTS, COMMENTS, UNDATED_DOCS = 6, 8, 2  # the undated page and its comment included
PER_YEAR = {"2014": (2, 4), "2015": (1, 0), "2016": (1, 2), "2017": (0, 0), "2018": (1, 1)}
PER_MONTH = {"2014-03": (2, 3), "2014-04": (0, 1), "2015-01": (1, 0), "2016-06": (1, 2),
             "2018-11": (1, 1)}  # every other month from 2014-03 to 2018-11: none


def _months(first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    (year, month), out = first, []
    while (year, month) <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _counts(timeline: Timeline) -> dict[str, tuple[int, int]]:
    return {b.period: (b.posts, b.comments) for b in timeline.buckets}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("timeline")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text)
    settings = Settings.from_env({}, chunk_tokens=60, chunk_overlap=15)
    build_index(corpus, root / "index", settings=settings, embedder=FakeEmbedder())
    return root / "index"


@pytest.fixture(scope="module")
def retriever(index_dir):
    retriever = Retriever(IndexStore.open(index_dir), FakeEmbedder())
    yield retriever
    retriever.close()


# ------------------------------------------------------------------ the fixture itself


def test_the_fixture_has_documents_cut_into_several_passages(retriever):
    store = retriever.store
    ids, keys = store.document_keys()
    assert len(ids) == len(keys) == store.count() == len(store.lexical)
    assert sorted(ids.tolist()) == sorted(store.all_ids().tolist())
    per_document: dict[str, int] = {}
    for key in keys:
        per_document[key] = per_document.get(key, 0) + 1
    assert len(per_document) == POSTS + COMMENTS
    assert len(ids) > POSTS + COMMENTS  # more passages than documents
    long_ones = [k for k, n in per_document.items() if n > 1]
    # the long 2014 post body ("post_id#") and papa's long comment ("post_id#2")
    assert len(long_ones) == 2
    assert {k.rpartition("#")[2] for k in long_ones} == {"", "2"}
    assert len({k.partition("#")[0] for k in long_ones}) == 1


def test_document_codes_name_one_document_per_key(retriever):
    store = retriever.store
    codes = document_codes(store)
    assert codes.shape == (len(store.lexical),) and (codes >= 0).all()
    assert len(np.unique(codes)) == POSTS + COMMENTS
    ids, keys = store.document_keys()
    key_of = dict(zip(ids.tolist(), keys, strict=True))
    row_key = [key_of[int(i)] for i in store.lexical.ids]
    for a in range(len(row_key)):
        for b in range(len(row_key)):
            assert (codes[a] == codes[b]) == (row_key[a] == row_key[b])
    assert document_codes(store) is codes  # kept with the index version


# ------------------------------------------------------------------ the whole archive


def test_whole_archive_per_year_counts_documents_not_passages(retriever):
    timeline = retriever.timeline(granularity="year")
    assert timeline.granularity == "year"
    assert _counts(timeline) == PER_YEAR
    assert [b.period for b in timeline.buckets] == ["2014", "2015", "2016", "2017", "2018"]
    assert (timeline.posts, timeline.comments, timeline.undated) == (POSTS, COMMENTS,
                                                                     UNDATED_DOCS)
    dated_posts = sum(b.posts for b in timeline.buckets)
    dated_comments = sum(b.comments for b in timeline.buckets)
    assert dated_posts + dated_comments + timeline.undated == POSTS + COMMENTS
    assert timeline.rule == "every passage"


def test_whole_archive_per_month_fills_empty_months_with_zeros(retriever):
    timeline = retriever.timeline(granularity="month")
    assert timeline.granularity == "month"
    periods = [b.period for b in timeline.buckets]
    assert periods == _months((2014, 3), (2018, 11))
    assert len(periods) == 57
    counts = _counts(timeline)
    assert {p: c for p, c in counts.items() if c != (0, 0)} == PER_MONTH
    assert counts["2017-06"] == (0, 0) and counts["2014-05"] == (0, 0)
    assert (timeline.posts, timeline.comments, timeline.undated) == (POSTS, COMMENTS,
                                                                     UNDATED_DOCS)


def test_auto_is_per_year_over_four_years_or_more(retriever):
    # 2014 to 2018: four years apart
    assert retriever.timeline().granularity == "year"
    assert retriever.timeline() == retriever.timeline(granularity="year")


def test_auto_is_per_month_over_a_shorter_span(retriever):
    # the filter leaves 2015-01 to 2016-06
    timeline = retriever.timeline(since="2015-01-01", until="2017-12-31")
    assert timeline.granularity == "month"
    assert [b.period for b in timeline.buckets] == _months((2015, 1), (2016, 6))
    assert timeline == retriever.timeline(since="2015-01-01", until="2017-12-31",
                                          granularity="month")
    # the span is that of what matched, not of the filter
    assert [b.period for b in retriever.timeline(since="2014-01-01", until="2014-12-31")
            .buckets] == ["2014-03", "2014-04"]


def test_as_dict(retriever):
    timeline = retriever.timeline(granularity="year")
    as_dict = timeline.as_dict()
    assert as_dict == {
        "granularity": "year", "posts": POSTS, "comments": COMMENTS,
        "undated": UNDATED_DOCS, "rule": "every passage",
        "buckets": [{"period": p, "posts": n, "comments": c}
                    for p, (n, c) in PER_YEAR.items()]}
    assert timeline.buckets[0] == Bucket("2014", 2, 4)


# ------------------------------------------------------------------ queries


def test_a_query_counts_only_the_documents_that_match(retriever):
    timeline = retriever.timeline("redundancy")
    # the 2014 post and Getafix's comment on it, the 2016 post and Getafix's comment on
    # it, the undated page and its comment; the long post counts once
    assert (timeline.posts, timeline.comments, timeline.undated) == (3, 3, 2)
    assert timeline.granularity == "month"  # 2014-03 to 2016-06: under four years
    periods = [b.period for b in timeline.buckets]
    assert periods == _months((2014, 3), (2016, 6))
    assert {p: c for p, c in _counts(timeline).items() if c != (0, 0)} == {
        "2014-03": (1, 1), "2016-06": (1, 1)}
    assert timeline.rule == (f"passages holding at least {MATCH_SHARE:.0%} of the query's "
                             "IDF weight")
    assert retriever.timeline("redundancy", granularity="year").buckets == (
        Bucket("2014", 1, 1), Bucket("2015", 0, 0), Bucket("2016", 1, 1))


def test_a_common_term_matches_more_than_a_rare_one(retriever):
    rare = retriever.timeline("redundancy", granularity="year")
    common = retriever.timeline("staff", granularity="year")
    # "staff" is in every post and in three comments (papa's two, Getafix's on pay)
    assert (common.posts, common.comments) == (6, 3)
    assert _counts(common) == {"2014": (2, 2), "2015": (1, 0), "2016": (1, 1),
                               "2017": (0, 0), "2018": (1, 0)}
    assert common.undated == 1
    assert common.posts > rare.posts
    # both words: the rare one carries most of the weight, so a passage holding only
    # "staff" falls short of the share and the timeline is that of "redundancy"
    both = retriever.timeline("staff redundancy", granularity="year")
    assert both == rare
    # and a word that is nowhere counts nothing
    nothing = retriever.timeline("zzzqqq")
    assert (nothing.posts, nothing.comments, nothing.undated, nothing.buckets) == (0, 0, 0, ())


def test_matching_rows_weighs_terms_by_rarity(retriever):
    lexical = retriever.store.lexical
    assert matching_rows(lexical, None) is None
    assert matching_rows(lexical, "   ") is None
    unknown = matching_rows(lexical, "zzzqqq")
    assert unknown.shape == (len(lexical),) and not unknown.any()
    rare = matching_rows(lexical, "redundancy")
    common = matching_rows(lexical, "staff")
    both = matching_rows(lexical, "staff redundancy")
    assert 0 < rare.sum() < common.sum() < len(lexical)
    assert (both == rare).all()
    texts = retriever.store.chunks_by_ids(lexical.ids.tolist())
    for row, row_id in enumerate(lexical.ids.tolist()):
        assert rare[row] == ("redundancy" in texts[row_id].text.lower())


def test_an_empty_query_is_the_whole_archive(retriever):
    assert retriever.timeline("  ", granularity="year") == retriever.timeline(granularity="year")


# ------------------------------------------------------------------ filters


def test_kind_filter(retriever):
    comments = retriever.timeline(kind="comment", granularity="year")
    assert (comments.posts, comments.comments, comments.undated) == (0, COMMENTS, 1)
    assert _counts(comments) == {y: (0, c) for y, (_, c) in PER_YEAR.items()}
    posts = retriever.timeline(kind="post", granularity="year")
    assert (posts.posts, posts.comments, posts.undated) == (POSTS, 0, 1)
    assert _counts(posts) == {y: (p, 0) for y, (p, _) in PER_YEAR.items()}


def test_author_filter(retriever):
    getafix = retriever.timeline(author="GETAFIX", granularity="year")
    assert (getafix.posts, getafix.comments, getafix.undated) == (0, 3, 0)
    assert _counts(getafix) == {"2014": (0, 2), "2015": (0, 0), "2016": (0, 1)}
    frank = retriever.timeline(author="frank", granularity="month")
    assert {p: c for p, c in _counts(frank).items() if c != (0, 0)} == {
        "2014-03": (0, 1), "2018-11": (0, 1)}
    assert retriever.timeline(author="nobody").as_dict()["buckets"] == []


def test_date_filters_narrow_and_drop_undated_documents(retriever):
    since = retriever.timeline(since="2016-01-01", granularity="year")
    assert _counts(since) == {"2016": (1, 2), "2017": (0, 0), "2018": (1, 1)}
    assert (since.posts, since.comments, since.undated) == (2, 3, 0)
    until = retriever.timeline(until="2014-03-31", granularity="month")
    assert _counts(until) == {"2014-03": (2, 3)}
    # papa's comment of 5 April 2014 is on a March post: it counts by its own date
    april = retriever.timeline(since="2014-04-01", until="2014-04-30")
    assert _counts(april) == {"2014-04": (0, 1)}


def test_a_query_and_filters_together(retriever):
    timeline = retriever.timeline("redundancy", kind="comment", author="getafix",
                                  since="2016-01-01", granularity="year")
    assert _counts(timeline) == {"2016": (0, 1)}
    assert (timeline.posts, timeline.comments, timeline.undated) == (0, 1, 0)


def test_timeline_of_takes_the_mask_it_is_given(retriever):
    store = retriever.store
    nothing = np.zeros(len(store.lexical), dtype=bool)
    empty = timeline_of(store, None, Filters(), nothing)
    assert (empty.posts, empty.comments, empty.undated, empty.buckets) == (0, 0, 0, ())
    assert empty.granularity == "year"
    assert timeline_of(store, None, Filters(), nothing, "month").granularity == "month"
    # the mask is not changed by the query
    everything = np.ones(len(store.lexical), dtype=bool)
    timeline_of(store, "redundancy", Filters(), everything)
    assert everything.all()


# ------------------------------------------------------------------ bad requests


def test_unknown_granularity_is_a_value_error(retriever):
    with pytest.raises(ValueError, match="granularity must be one of auto, month, year"):
        retriever.timeline(granularity="week")
    with pytest.raises(ValueError, match="granularity"):
        retriever.timeline("redundancy", granularity="decade")


def test_an_over_long_query_is_a_value_error(retriever):
    with pytest.raises(ValueError, match="too long"):
        retriever.timeline("redundancy " * (MAX_QUERY_CHARS // 5))
    assert retriever.timeline("r" * MAX_QUERY_CHARS).posts == 0  # at the limit: answered


@pytest.mark.parametrize("kwargs,message", [
    ({"since": "03/03/2014"}, "YYYY-MM-DD"),
    ({"since": "2016-01-01", "until": "2014-01-01"}, "after"),
    ({"kind": "reply"}, "kind must be"),
])
def test_bad_filters_are_value_errors(retriever, kwargs, message):
    with pytest.raises(ValueError, match=message):
        retriever.timeline(**kwargs)


# ------------------------------------------------------------------ the subject of a question


@pytest.mark.parametrize("question,subject", [
    ("when did the blog talk about redundancy?", "redundancy"),
    ("When did people first mention the pay freeze?", "pay freeze"),
    ("How often have readers discussed caseloads over the years?", "caseloads"),
    ("redundancy", "redundancy"),
    ("when did the blog talk about it?", ""),
])
def test_subject_of_drops_the_asking_words(question, subject):
    assert subject_of(question) == subject


def test_subject_of_drops_the_words_of_implied_filters():
    question = "In 2016, what did Getafix say about staff pay?"
    assert subject_of(question) == "2016 getafix staff pay"
    assert subject_of(question, ("In 2016", "Getafix")) == "staff pay"
    assert subject_of("what did readers say about redundancy in 2014?",
                      ("readers", "in 2014")) == "redundancy"


def test_a_subject_charts_like_its_words(retriever):
    subject = subject_of("When did the blog talk about redundancy?")
    assert retriever.timeline(subject) == retriever.timeline("redundancy")
