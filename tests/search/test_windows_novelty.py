"""Sentence-window lexical evidence and novel-evidence-first ordering."""

from datetime import date

import numpy as np
import pytest

from assistant import Settings, build_index
from assistant.index.lexical import LexicalIndex, LexicalRow
from assistant.index.sentences import SentenceMatches
from assistant.search.novelty import novel_first
from assistant.search.retriever import Retriever
from assistant.search.windows import WINDOW_SHARE, LexicalEvidence, lexical_evidence

# The query's words scattered over far-apart sentences (twice each), against one sentence
# that holds them all once.
SCATTERED = ("The framework was new. The canteen served soup. Contracts were signed. "
             "The car park was resurfaced. Its duration was unknown. The lifts broke. "
             "The framework had critics. Parties were cancelled. Contracts kept arriving. "
             "Permits were reissued. The duration grew.")
TOGETHER = ("The canteen reopened in June after the long summer closure for repairs. "
            "The framework contracts have a duration of four years. Staff parties were back on.")
OTHERS = ["Nothing in common here at all.", "Unions met ministers about pay.",
          "Courts sat late all week."]


def _index(texts):
    rows = [LexicalRow(i + 1, t, date(2016, 1, 1), "post") for i, t in enumerate(texts)]
    return LexicalIndex.empty().updated(np.zeros(0, np.int64), rows)


def test_the_passage_holding_the_query_in_one_sentence_outranks_a_scattered_one():
    index = _index([SCATTERED, TOGETHER, *OTHERS])
    query = "framework contracts duration"
    assert index.search(query, 2)[0][0] == 1  # chunk BM25 alone prefers the scattered one
    evidence = lexical_evidence(index, query, 5)
    assert [row_id for row_id, _ in evidence.ranking] == [2, 1]
    chunk = dict(index.search(query, 5))
    assert dict(evidence.ranking)[2] == pytest.approx(
        (1 - WINDOW_SHARE) * chunk[2] / chunk[1] + WINDOW_SHARE)  # the best window is its


def test_lexical_evidence_scores_the_ids_it_is_given_too():
    index = _index([SCATTERED, TOGETHER, *OTHERS])
    evidence = lexical_evidence(index, "framework contracts duration", 1, also=[3, 2])
    assert evidence.ids.tolist() == [1, 2, 3]  # BM25's best one, and the two it was given
    assert {row_id for row_id, _ in evidence.ranking} == {1, 2}  # 3 matches nothing
    assert lexical_evidence(index, "zzzqqq", 5).ranking == []


def _evidence(rows, sents, scores, signatures, ids):
    matches = SentenceMatches(np.asarray(rows), np.asarray(sents), np.asarray(scores, float),
                              np.asarray(signatures, np.uint64), np.zeros(len(ids)))
    return LexicalEvidence([], np.asarray(ids, np.int64), matches)


def test_a_passage_repeating_what_is_shown_moves_below_one_with_new_evidence():
    # passages 10 and 20 match with the same sentence (signature 7); 30 with its own
    evidence = _evidence(rows=[0, 1, 1, 2], sents=[0, 0, 1, 0], scores=[2.0, 2.0, 0.0, 1.0],
                         signatures=[7, 7, 8, 9], ids=[10, 20, 30])
    ordered = [(10, 1.0), (20, 0.9), (30, 0.8), (40, 0.1)]
    reordered = novel_first(ordered, evidence, weight=0.5)
    assert [row_id for row_id, _ in reordered] == [10, 30, 20, 40]
    assert dict(reordered)[20] == pytest.approx(0.9 * 0.5)  # nothing new: half its score
    assert dict(reordered)[30] == pytest.approx(0.8)  # all new: unchanged
    scores = [score for _, score in reordered]
    assert scores == sorted(scores, reverse=True)
    # passages without matched sentences (dense-only) keep their score and place
    assert novel_first(ordered, _evidence([], [], [], [], [10, 20]), weight=0.5) == ordered


def test_novelty_counts_the_share_of_matching_evidence_already_shown():
    # 20 holds the sentence 10 showed (score 3) and a new one (score 1): a quarter is new
    evidence = _evidence(rows=[0, 1, 1], sents=[0, 0, 1], scores=[3.0, 3.0, 1.0],
                         signatures=[5, 5, 6], ids=[10, 20])
    reordered = dict(novel_first([(10, 1.0), (20, 0.8)], evidence, weight=0.5))
    assert reordered[20] == pytest.approx(0.8 * (1 - 0.5 * (1 - 0.25)))


LOOK_ALIKE = """Monday {day} June 2019

Resettlement News {n}

Dynamic Framework contracts for resettlement services were announced by the ministry.
{filler}
"""
ANSWER = """Tuesday 4 June 2019

What Probation Could Look Like

Staff were told about the plans at a briefing. Contracts awarded through the Dynamic
Framework will vary in length from one to four years.
"""
FILLERS = ["Unions met ministers about pay and the offer was rejected by members.",
           "Prisons reported staff shortages and the governors asked for more officers.",
           "The inspectorate published its annual report with a chapter on hostels.",
           "Courts sat late all week to clear the backlog of trials from the spring.",
           "Volunteers ran the reading group and the library stayed open on Sundays."]


def test_copies_of_one_sentence_do_not_crowd_out_the_answer(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n, filler in enumerate(FILLERS):
        (corpus / f"look{n}.txt").write_text(
            LOOK_ALIKE.format(day=10 + n, n=n, filler=filler))
    (corpus / "answer.txt").write_text(ANSWER)
    build_index(corpus, tmp_path / "index", settings=Settings.from_env({}),
                embedder=hash_embedder)
    retriever = Retriever.open(tmp_path / "index", embedder=hash_embedder)
    query = "How long will the Dynamic Framework contracts for resettlement services run?"
    # five passages share the best-matching sentence; before novelty they took the top five
    hits = retriever.search(query, k=2)
    assert "one to four years" in hits[1].text
    retriever.close()
