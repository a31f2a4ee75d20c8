"""Sentence postings: built with the chunk postings, kept through updates, scored per window."""

from datetime import date

import numpy as np
import pytest

from assistant.index.lexical import LexicalIndex, LexicalRow, passage_text
from assistant.index.sentences import K1

SCATTERED = ("Contracts were signed in spring. The weather was mild all week. "
             "Officials met in London. The framework was discussed at length.")
TOGETHER = "Nothing else happened. The framework contracts run for four years. Goodbye."
COPY = "The framework contracts run for four years. A different second sentence here."


def _index(texts, start=1):
    rows = [LexicalRow(start + i, t, date(2016, 1, 1 + i), "post") for i, t in enumerate(texts)]
    return LexicalIndex.empty().updated(np.zeros(0, np.int64), rows)


def _match(index, ids, query):
    return index.sentences.match(index.rows_of(np.asarray(ids)), index.known_terms(query))


def test_window_score_is_bm25_of_two_neighbouring_sentences():
    index = _index([SCATTERED, TOGETHER])
    matches = _match(index, [1, 2], "framework contracts")
    idf = index.sentences.idf
    framework, contract = index.known_terms("framework contracts")

    def part(term, tf):
        return idf[term] * tf / (K1 + tf)

    # TOGETHER: both terms in its second sentence; SCATTERED: never two in one window
    assert matches.windows[1] == pytest.approx(part(framework, 1) + part(contract, 1))
    assert matches.windows[0] == pytest.approx(max(part(framework, 1), part(contract, 1)))
    # per matched sentence: (candidate, sentence number) and its own score
    together = {int(s): score for r, s, score in
                zip(matches.row, matches.sent, matches.score, strict=True) if r == 1}
    assert together.keys() == {1}
    assert together[1] == pytest.approx(matches.windows[1])


def test_copied_sentences_share_a_signature():
    index = _index([TOGETHER, COPY, SCATTERED])
    matches = _match(index, [1, 2, 3], "framework contracts four years")
    by_place = {(int(r), int(s)): int(sig) for r, s, sig in
                zip(matches.row, matches.sent, matches.signature, strict=True)}
    assert by_place[(0, 1)] == by_place[(1, 0)]  # the same sentence in two passages
    assert len(set(by_place.values())) == len(by_place) - 1


def test_update_keeps_sentence_postings_row_for_row(tmp_path):
    texts = [SCATTERED, TOGETHER, COPY, "Four years of contracts. Framework agreed."]
    base = _index(texts[:3])
    base.save(tmp_path / "lex")
    updated = LexicalIndex.load(tmp_path / "lex").updated(
        np.asarray([2], np.int64), [LexicalRow(4, texts[3], None, "comment")])
    fresh = _index([texts[0], texts[2], texts[3]])
    fresh_ids = {1: 1, 3: 2, 4: 3}  # the same passages under the ids ``_index`` gave them
    query = "framework contracts four years"
    got = _match(updated, [1, 3, 4], query)
    want = _match(fresh, [fresh_ids[i] for i in (1, 3, 4)], query)
    assert got.windows == pytest.approx(want.windows)
    assert got.row.tolist() == want.row.tolist() and got.sent.tolist() == want.sent.tolist()


def test_an_index_without_sentence_postings_still_loads_and_matches_nothing(tmp_path):
    index = _index([TOGETHER, COPY])
    index.save(tmp_path / "lex")
    for name in ("sptr", "ssent", "sterms", "stfs"):  # as written before sentences
        (tmp_path / "lex" / f"{name}.npy").unlink()
    old = LexicalIndex.load(tmp_path / "lex")
    assert dict(old.search("framework contracts", 2)) == \
        pytest.approx(dict(index.search("framework contracts", 2)))
    matches = _match(old, [1, 2], "framework contracts")
    assert matches.windows.tolist() == [0.0, 0.0] and len(matches.row) == 0
    # and a build that re-indexes every passage gives them sentence postings again
    again = [LexicalRow(1, TOGETHER, None, "post"), LexicalRow(2, COPY, None, "post")]
    renewed = old.updated(np.asarray([1, 2], np.int64), again)
    assert _match(renewed, [1, 2], "framework contracts").windows.min() > 0


def test_the_year_is_a_field_the_body_is_split_into_sentences():
    text = passage_text("Budget Day", "papa", "Cuts again.", date(2019, 3, 4))
    assert text.split() == ["Budget", "Day", "papa", "2019", "2019", "Cuts", "again."]
    rows = [LexicalRow(1, passage_text("Cuts", None, "The cuts went on and on.",
                                       date(2016, 1, 1)), date(2016, 1, 1), "post",
                       body="The cuts went on and on."),
            LexicalRow(2, passage_text("Cuts", None, "The cuts went on and on and on.",
                                       date(2019, 1, 1)), date(2019, 1, 1), "post",
                       body="The cuts went on and on and on.")]
    index = LexicalIndex.empty().updated(np.zeros(0, np.int64), rows)
    assert index.search("cuts", 2)[0][0] == 1  # the shorter passage, other things equal
    assert index.search("In 2019, what cuts?", 2)[0][0] == 2  # the year decides
    # the fields are not sentences of the body: only the body is matched per window
    assert _match(index, [1], "cuts 2016").sent.tolist() == [0]
