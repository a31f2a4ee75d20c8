"""The wording of an honest gap, and the fact detectors the reading stage relies on."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.constraints import fit, mentioned
from assistant.answer.facts import Asked, appears, counts, dates, holds, names, wanted_in
from assistant.answer.gaps import describe, gap_sentence, past_tense
from assistant.records import Hit


@pytest.mark.parametrize(("question", "sentence"), [
    ("How many complaints had there been?", "The archive doesn't give the number of complaints."),
    ("How many staff work at the hostel?", "The archive doesn't give the number of staff."),
    ("When did the hostel actually close?",
     "The archive doesn't say when the hostel actually closed."),
    ("How much did the new tagging system cost?",
     "The archive doesn't say how much the new tagging system cost."),
    ("What is the salary of a probation officer in 2024?",
     "The archive doesn't give the salary of a probation officer in 2024."),
    ("What was recommendation 4 in the committee's report?",
     "The archive doesn't give recommendation 4 in the committee's report."),
    ("Where was the meeting held?", "The archive doesn't say where the meeting was held."),
    ("Did the union strike in 2015?", "The archive doesn't say whether the union struck in 2015."),
    ("In 2014, what did readers say about the cuts?",
     "The archive doesn't say what readers said about the cuts."),
    ("The report mentions complaints. How many complaints were there?",
     "The archive doesn't give the number of complaints."),
    ("According to the union, how many members left?",
     "The archive doesn't give the number of members."),
    ("Which CRC did the minister visit?", "The archive doesn't say which CRC the minister "
                                         "visited."),
])
def test_a_gap_is_described_in_the_questions_own_words(question, sentence):
    assert gap_sentence(describe(question)) == sentence


def test_past_tense():
    assert [past_tense(v) for v in ("close", "win", "stop", "carry", "visit")] == \
        ["closed", "won", "stopped", "carried", "visited"]


def test_counts_leave_out_years_dates_and_the_questions_own_numbers():
    asked = Asked("How many of the 12 hostels closed in 2016?", "number")
    found = [m.group(0) for m in counts("By 3 March 2016, 12 hostels had become 9 and "
                                        "two more were at risk.", asked)]
    assert found == ["9", "two"]


def test_a_date_of_an_announcement_or_of_the_opposite_event_does_not_date_the_event():
    close = Asked("When did the prison close?", "date")
    assert dates("The closure, announced in November 2015, was welcomed.", close) == []
    assert dates("The prison opened in May 1998.", close) == []
    assert dates("The prison finally closed in July 2016.", close) == ["July 2016"]
    assert dates("The closure was announced in November 2015.",
                 Asked("When was the closure announced?", "date")) == ["November 2015"]


def test_names_new_to_the_question():
    asked = Asked("Which CRC had the most staff?", "organisation")
    assert names("Most staff were in the Community Rehabilitation Company (CRC).", asked) == []
    assert names("It was Cheshire and Greater Manchester CRC, said Tier 2 staff.", asked) == \
        ["Cheshire Greater Manchester"]


def test_a_numbered_item_and_a_report_noun_must_be_there():
    four = Asked("What was recommendation 4?", "explanation")
    assert holds("Recommendation 4 asks for more staff.", four)
    assert not holds("Recommendation 14 asks for more staff.", four)
    findings = Asked("What were the findings of the review?", "explanation", ("findings",))
    assert holds("The review found that staff were overloaded.", findings)
    assert not holds("The review was published last week.", findings)


def test_facts_in_an_answer_are_looked_for_in_its_passage():
    asked = Asked("How many beds are there?", "number")
    assert wanted_in("There are six beds [1].", asked) == ["six"]
    assert appears("six", "It has 6 beds.") and appears("£12bn", "saving £12bn")
    assert not appears("John Smith", "announced by Sarah Lane")


def test_constraints_are_met_by_a_passage_its_date_or_its_title():
    hit = Hit(text="Clinks gave evidence.", score=1.0, source="a.txt", title="Probation Worries",
              date=date(2016, 9, 29), kind="post", author=None, chunk_id="c1")
    assert fit(("Clinks'", "September 2016"), hit) == 1.0
    assert fit(("Clinks", "Probation Worries"), hit) == 1.0
    assert fit(("Clinks", "2012"), hit) == 0.0  # a year it neither carries nor names
    assert fit((), hit) == 1.0
    assert mentioned(("Clinks", "Napo"), "Clinks said so.") == 0.5


def test_a_count_answers_how_many_only_next_to_what_is_counted():
    tags = Asked("How many tags failed?", "number", ("tags",))
    assert holds("Over 40 of the new tags failed in the first month.", tags)
    assert not holds("Inspectors visited 12 prisons and found that the tags failed.", tags)
    share = Asked("What share of the tags failed?", "number", ("share",))
    assert holds("Inspectors found that 12% of the tags failed.", share)
    long = Asked("How long did the tags last?", "number")
    assert holds("The tags lasted two weeks.", long) and not holds("12 tags lasted.", long)
