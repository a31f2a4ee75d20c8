"""When a subject came up: matching posts and comments per year or month.

Counted from the lexical index's numpy columns (``days``, ``kinds``, the BM25 postings), so
a million passages take milliseconds, not a walk over rows. Documents are counted, not
passages: a post cut into six passages counts once (``document_codes``, one SQL read per
index version, kept with it).

A passage matches a query when the query's known terms it contains carry at least half of
the query's IDF weight (Elasticsearch's ``minimum_should_match``, weighted by rarity): "the
redundancy terms" matches passages about redundancy, not every one that says "terms".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

import numpy as np

from assistant.index.lexical import TermStats, bm25_idf
from assistant.search.filters import Filters
from assistant.text import content_words

__all__ = ["MATCH_SHARE", "Bucket", "Timeline", "bucketed", "check_granularity",
           "document_codes", "matched_documents", "matching_rows", "subject_of", "timeline_of"]

MATCH_SHARE = 0.5  # of the query's IDF weight a passage must contain to match
YEARS_FOR_MONTHS = 4  # "auto": per month over a span of up to this many years, else per year
GRANULARITIES = ("auto", "month", "year")
_codes_lock = threading.Lock()


# Words that ask about the archive rather than name a subject: "when did the blog talk about
# redundancy?" charts "redundancy". Kept, they hold a large share of a short question's IDF
# weight, so the match rule wanted passages that talk about talking.
_ASKING = frozenset([
    "archive", "blog", "blogs", "post", "posts", "posted", "posting", "comment",
    "comments", "commented", "commenter", "commenters", "reader", "readers", "people",
    "anyone", "someone", "talk", "talked", "talking", "discuss", "discussed",
    "discussing", "discussion", "mention", "mentioned", "mentions", "mentioning",
    "write", "wrote", "written", "writing", "say", "said", "saying", "says", "come",
    "came", "coming", "bring", "brought", "raise", "raised", "often", "first", "last",
    "time", "times", "year", "years", "month", "months", "ever", "subject", "topic",
    "happen", "happened"
])


def subject_of(question: str, implied_phrases: tuple[str, ...] = ()) -> str:
    """What a question's timeline charts: its content words, less those asking about the
    archive itself (``_ASKING``) and those that implied a filter ("readers", "in 2016")."""
    dropped = set(_ASKING)
    for phrase in implied_phrases:
        dropped.update(content_words(phrase))
    return " ".join(w for w in content_words(question) if w not in dropped)


@dataclass(frozen=True)
class Bucket:
    period: str  # "2016" or "2016-03"
    posts: int
    comments: int


@dataclass(frozen=True)
class Timeline:
    granularity: str  # "month" or "year"
    buckets: tuple[Bucket, ...]
    posts: int  # matching dated and undated posts
    comments: int
    undated: int  # matching documents without a date (not in any bucket)
    rule: str  # how a passage was matched

    def as_dict(self) -> dict[str, object]:
        return {"granularity": self.granularity, "posts": self.posts,
                "comments": self.comments, "undated": self.undated, "rule": self.rule,
                "buckets": [{"period": b.period, "posts": b.posts, "comments": b.comments}
                            for b in self.buckets]}


def document_codes(store) -> np.ndarray:
    """Per lexical row, a small integer naming its document, made once per index version
    (on 216 passages a millisecond; one sqlite scan on a million)."""
    lexical = store.lexical
    codes = getattr(lexical, "_document_codes", None)
    if codes is not None:
        return codes
    with _codes_lock:
        codes = getattr(lexical, "_document_codes", None)
        if codes is None:
            ids, keys = store.document_keys()
            _, per_id = np.unique(np.asarray(keys, dtype=object), return_inverse=True)
            codes = np.full(len(lexical), -1, np.int64)
            present = np.isin(ids, lexical.ids)
            codes[lexical.rows_of(ids[present])] = per_id[present]
            lexical._document_codes = codes
    return codes


def matching_rows(lexical, query: str | None, stats: TermStats | None = None
                  ) -> np.ndarray | None:
    """Rows matching ``query`` (module docstring); None for no query (every row). With
    ``stats`` (a cluster's sums) the IDF weights are the whole archive's."""
    if query is None or not query.strip():
        return None
    terms = sorted(set(lexical.known_terms(query)))
    if stats is not None:  # the whole archive's weight: terms unknown here count too
        every = sorted(t for t in set(lexical.stems(query)) if stats.df.get(t, 0))
        known = [lexical.vocab[t] for t in terms]
        idf_of = dict(zip(every, bm25_idf(stats.rows, np.asarray(
            [stats.df.get(t, 0) for t in every])).tolist(), strict=True)) if every else {}
        total = sum(idf_of.values())
        idf = {t: idf_of[name] for t, name in zip(terms, known, strict=True)}
    else:
        _, _, table = lexical._prepare()
        idf = {t: float(table[t]) for t in terms}
        total = sum(idf.values())
    if not terms:
        return np.zeros(len(lexical), dtype=bool)
    matrix, _, _ = lexical._prepare()
    weight = np.zeros(len(lexical), dtype=np.float32)
    for t in terms:
        rows = matrix.indices[matrix.indptr[t]:matrix.indptr[t + 1]]
        weight[rows] += idf[t]
    return weight >= MATCH_SHARE * float(np.float32(total)) - 1e-6


def matched_documents(store, query: str | None, mask: np.ndarray | None,
                      stats: TermStats | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The date ordinal and whether it is a comment of each document (a post body or a
    comment) with a passage matching ``query`` among rows passing ``mask``. A document
    lives in one shard, so a cluster concatenates its shards' answers."""
    lexical = store.lexical
    rows = np.ones(len(lexical), dtype=bool) if mask is None else mask.copy()
    matched = matching_rows(lexical, query, stats)
    if matched is not None:
        rows &= matched
    codes = document_codes(store)[rows]
    days = lexical.arrays["days"][rows]
    comments = lexical.arrays["kinds"][rows] == 1
    # one entry per document: the first of its passages (all share the date and kind)
    _, first = np.unique(codes, return_index=True)
    return days[first], comments[first]


def timeline_of(store, query: str | None, filters: Filters, mask: np.ndarray | None,
                granularity: str = "auto") -> Timeline:
    """The timeline of ``query`` (None: everything) among rows passing ``mask``."""
    check_granularity(granularity)
    days, comments = matched_documents(store, query, mask)
    return bucketed(days, comments, granularity, query)


def check_granularity(granularity: str) -> None:
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, "
                         f"got {granularity!r}")


def bucketed(days: np.ndarray, comments: np.ndarray, granularity: str,
             query: str | None) -> Timeline:
    """The ``Timeline`` of matched documents (``matched_documents``)."""
    rule = (f"passages holding at least {MATCH_SHARE:.0%} of the query's IDF weight"
            if query is not None and query.strip() else "every passage")
    dated = days > 0
    total_posts, total_comments = int((~comments).sum()), int(comments.sum())
    if not dated.any():
        return Timeline("year" if granularity == "auto" else granularity, (), total_posts,
                        total_comments, int((~dated).sum()), rule)
    dates = [date.fromordinal(int(d)) for d in (days[dated].min(), days[dated].max())]
    if granularity == "auto":
        granularity = "month" if dates[1].year - dates[0].year < YEARS_FOR_MONTHS else "year"
    years, months = _year_month(days[dated])
    if granularity == "year":
        slot, first_slot, last_slot = years, dates[0].year, dates[1].year
    else:
        slot = years * 12 + months - 1
        first_slot = dates[0].year * 12 + dates[0].month - 1
        last_slot = dates[1].year * 12 + dates[1].month - 1
    size = last_slot - first_slot + 1
    kinds = comments[dated]
    posts = np.bincount(slot[~kinds] - first_slot, minlength=size)
    talk = np.bincount(slot[kinds] - first_slot, minlength=size)
    buckets = tuple(Bucket(_period(first_slot + i, granularity), int(posts[i]), int(talk[i]))
                    for i in range(size))
    return Timeline(granularity, buckets, total_posts, total_comments,
                    int((~dated).sum()), rule)


def _year_month(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year and month of date ordinals, vectorised (numpy's calendar, days from 0001-01-01)."""
    as_dates = (ordinals - date(1970, 1, 1).toordinal()).astype("datetime64[D]")
    months = as_dates.astype("datetime64[M]").astype(np.int64)
    return months // 12 + 1970, months % 12 + 1


def _period(slot: int, granularity: str) -> str:
    if granularity == "year":
        return f"{slot:04d}"
    return f"{slot // 12:04d}-{slot % 12 + 1:02d}"
