from datetime import date

import numpy as np
import pytest

from assistant.search.dedupe import near_duplicate, shingles
from assistant.search.filters import Filters
from assistant.search.fusion import convex, rrf


def test_convex_scores_bm25_candidates_the_dense_list_missed():
    dense = [(1, 0.8), (2, 0.4)]
    sparse = [(3, 10.0), (1, 5.0)]
    asked = []

    def cosines(ids):
        asked.append(ids.tolist())
        return np.asarray([0.6])

    fused = dict(convex(dense, sparse, cosines, bm25_weight=0.7))
    assert asked == [[3]]  # only the candidate without a cosine is looked up
    assert fused[3] == pytest.approx(0.7 * 1.0 + 0.3 * 0.6 / 0.8)
    assert fused[1] == pytest.approx(0.7 * 0.5 + 0.3 * 1.0)
    assert fused[2] == pytest.approx(0.3 * 0.4 / 0.8)  # BM25 outside its list counts as 0


def test_convex_with_no_candidate_pointing_the_query_way_ranks_by_closeness():
    fused = convex([(1, -0.1), (2, -0.5)], [], lambda ids: np.zeros(len(ids)), 0.7)
    assert [row for row, _ in fused] == [1, 2]
    assert convex([], [], lambda ids: ids, 0.7) == []


def test_rrf_ignores_scores():
    assert [row for row, _ in rrf([(1, 0.9), (2, 0.1)], [(2, 99.0), (3, 1.0)])] == [2, 1, 3]


def test_filters_are_validated_once_with_the_parameter_named():
    assert Filters.make(kind="both") == Filters()
    assert not Filters.make(author="  ").active
    assert Filters.make("2016-01-01", date(2016, 12, 31), "post").active
    with pytest.raises(ValueError, match="since must be a date"):
        Filters.make(since="last year")
    with pytest.raises(ValueError, match="is after until"):
        Filters.make(since="2017-01-01", until="2016-01-01")
    with pytest.raises(ValueError, match="kind must be 'post', 'comment' or 'both'"):
        Filters.make(kind="reply")


def test_near_duplicates_share_most_shingles_or_are_contained():
    text = "the quick brown fox jumps over the lazy dog near the river bank today"
    assert near_duplicate(shingles(text), shingles(text + " again"))
    assert near_duplicate(shingles(text), shingles("and so " + text))
    assert not near_duplicate(shingles(text), shingles("an entirely different passage about "
                                                       "probation contracts and their terms"))
