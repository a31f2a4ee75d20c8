"""Question analysis on questions written for these tests (not the eval files'): the kind of
answer, the parts of compounds and comparisons, and the filters the wording implies, only
where it scopes the whole question."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.question import analyse, answer_kind, split_parts

AUTHORS = ("Jessica Mullen", "David Raho", "Ian Lawrence", "Russell Webster", "papa", "FranK",
           "Getafix", "Anonymous", "Dino Peros")
SPAN = (date(2014, 12, 19), date(2020, 10, 19))  # the shipped archive's first and last dates
Y2019 = {"since": "2019-01-01", "until": "2019-12-31"}


def implied(question: str, **options) -> dict[str, str]:
    return {f.name: f.value for f in analyse(question, AUTHORS, **options).implied}


@pytest.mark.parametrize(("question", "wants"), [
    ("How much did the nDelius system cost?", "money"),
    ("What was the salary of a probation officer in 2024?", "money"),
    ("How many probation trusts were there before the split?", "number"),
    ("What percentage of CRC staff had left by 2017?", "number"),
    ("How much of the probation service was to be put out to tender?", "number"),
    ("When did HMP Holloway close?", "date"),
    ("In what year was the National Probation Service created?", "date"),
    ("Who stood in for the minister at the Napo AGM?", "person"),
    ("Which minister announced the reforms?", "person"),
    ("Which companies bid to be Innovation Partners?", "organisation"),
    ("Did Napo ballot its members over pay?", "yesno"),
    ("Can you tell me who leads Purple Futures?", "person"),
    ("Could you tell me whether the Dynamic Framework opened on time?", "yesno"),
    ("In 2019, who criticised the DWP over the assessment contracts?", "person"),
    ("According to the inspectors, how many CRCs had a women's service?", "number"),
    ("Why did the CRCs struggle financially?", "explanation"),
    ("What were the main recommendations of the committee?", "list"),
    ("Name the three areas the review covered.", "list"),
    ("What did readers say about austerity?", "explanation"),
])
def test_answer_kind(question, wants):
    assert answer_kind(question) == wants


def test_a_compound_wants_what_its_first_part_asks_and_each_part_its_own():
    shape = analyse("Who in the Commons wanted Serco sacked, and what contact rates did she "
                    "quote?")
    assert shape.wants == "person" and shape.part_wants == ("person", "number")


@pytest.mark.parametrize(("question", "expected"), [
    # dates: a leading scope, a range, a year tied to who said it
    ("In 2019, what did readers say about austerity?", {**Y2019, "kind": "comment"}),
    ("What did readers say about austerity in 2019?", {**Y2019, "kind": "comment"}),
    ("In March 2016, what did the blogger write about the AGM?",
     {"since": "2016-03-01", "until": "2016-03-31", "kind": "post"}),
    ("Between 2015 and 2017, what did commenters say about Working Links?",
     {"since": "2015-01-01", "until": "2017-12-31", "kind": "comment"}),
    ("Since 2019, what have readers said about the Dynamic Framework?",
     {"since": "2019-01-01", "kind": "comment"}),
    ("Before 2016, what was said about Transforming Rehabilitation?",
     {"until": "2015-12-31"}),
    ("What did the 2019 posts say about PIP assessments?", {**Y2019, "kind": "post"}),
    # a year the answer is about, not when it was written: a constraint
    ("How many accredited programmes were started in 2006, according to civil servants?", {}),
    ("What did the committee say about the contracts signed in 2014?", {}),
    ("What was the salary of a probation officer in 2024?", {}),
    # two years or both sides: nothing
    ("What did readers say in 2014 and 2016 about pay?", {"kind": "comment"}),
    ("Compare what the blogger said in 2014 with what readers said in 2016.", {}),
    ("The blogger and one reader see Clinks very differently. What does each say?", {}),
    ("What did both the blogger and readers say about Clinks?", {}),
    # posts or comments, negations and speakers
    ("What do the posts themselves, not the readers' comments, say about pay?",
     {"kind": "post"}),
    ("Ignoring the comments, what does the post say about Napo's ballot?", {"kind": "post"}),
    ("What did readers, not the blogger, say about pay?", {"kind": "comment"}),
    ("What did readers think of the post about Purple Futures?", {"kind": "comment"}),
    ("Who wrote the post about the AGM?", {"kind": "post"}),
    ("Who held the post of chief inspector?", {}),
    ("What did the post-release support look like?", {}),
    ("Did the minister comment on the report?", {}),
    ("Did any reader disagree with the blogger about Clinks?", {"kind": "comment"}),
    ("What did the blogger make of the readers' comments on pay?", {"kind": "post"}),
    # authors: the speaker or signer, matched against the archive's names
    ("What did the commenter Getafix say about caseloads?",
     {"kind": "comment", "author": "Getafix"}),
    ("What did the reader who signs off as 'papa' expect to happen to pay?",
     {"kind": "comment", "author": "papa"}),
    ("What did branch chair Dino Peros tell members about the offer?",
     {"author": "Dino Peros"}),
    ("According to Frank, what happened to pay?", {"author": "FranK"}),
    ("What did David Raho write about Grayling?", {"author": "David Raho"}),
    ("What did readers say about Getafix?", {"kind": "comment"}),
    ("What did readers say about David Raho's post?", {"kind": "comment"}),
    ("Did Getafix and papa agree about pay?", {}),
    ("How did Getafix respond to the post about MTCnovo?", {"author": "Getafix"}),
    ("What did Pat Smith say about pay?", {}),  # not a name the archive is signed with
])
def test_implied_filters(question, expected):
    assert implied(question) == expected


def test_implied_filters_keep_the_words_that_implied_them():
    filters = analyse("In 2019, what did readers say about austerity?", AUTHORS).implied
    assert [(f.name, f.phrase) for f in filters] == [
        ("since", "In 2019"), ("until", "In 2019"), ("kind", "readers")]


def test_dates_the_archive_does_not_reach_are_the_answer_s_not_the_scope():
    question = "What did the ministry say in 2012 about the rehabilitation revolution?"
    assert implied(question) == {"since": "2012-01-01", "until": "2012-12-31"}
    assert implied(question, span=SPAN) == {}


def test_a_change_between_two_years_keeps_the_range_for_the_whole_question():
    shape = analyse("How did readers' views of the CRCs differ between 2014 and 2020?")
    assert {f.name: f.value for f in shape.implied} == {
        "since": "2014-01-01", "until": "2020-12-31", "kind": "comment"}
    assert [f.value for f in shape.part_implied[1]] == ["2020-01-01", "2020-12-31", "comment"]


def test_last_year_only_where_the_archive_has_passages_then():
    question = "What did readers say last year about pay?"
    assert implied(question, today=date(2020, 6, 1), span=SPAN) == {**Y2019, "kind": "comment"}
    assert implied(question, today=date(2026, 6, 1), span=SPAN) == {"kind": "comment"}
    assert implied(question) == {"kind": "comment"}  # no dates known: no date filter


@pytest.mark.parametrize(("question", "parts"), [
    ("Who in the Commons wanted Serco sacked, and what contact rates did she quote?",
     ("Who in the Commons wanted Serco sacked?", "what contact rates did she quote?")),
    ("Compare what the blogger said in 2014 with what readers said in 2016.",
     ("what the blogger said in 2014", "what readers said in 2016")),
    ("How does the 2016 committee report compare with the 2018 inspection?",
     ("the 2016 committee report", "the 2018 inspection")),
    ("The blogger and one reader see Clinks' role very differently. What does each say?",
     ("What does the blogger say about Clinks' role?",
      "What does one reader say about Clinks' role?")),
    ("What did both the blogger and readers say about Clinks?",
     ("What did the blogger say about Clinks?", "What did readers say about Clinks?")),
    ("How did probation pay change between 2014 and 2020?",
     ("In 2014, how did probation pay change?", "In 2020, how did probation pay change?")),
    ("What did readers say about pay and conditions?",
     ("What did readers say about pay and conditions?",)),
])
def test_split_parts(question, parts):
    assert split_parts(question) == parts


def test_each_part_keeps_its_own_filters_and_the_question_those_they_share():
    shape = analyse("In 2014, how much of the service did the guest blogger expect to be put "
                    "out to tender, and what did David Raho say in 2016 that Grayling had "
                    "planned?", AUTHORS)
    assert shape.implied == ()
    first, second = ({f.name: f.value for f in p} for p in shape.part_implied)
    assert first == {"since": "2014-01-01", "until": "2014-12-31", "kind": "post"}
    assert second == {"since": "2016-01-01", "until": "2016-12-31", "author": "David Raho"}
    shape = analyse("The blogger and one reader see Clinks very differently. What does each "
                    "say?", AUTHORS)
    assert [[f.value for f in p] for p in shape.part_implied] == [["post"], ["comment"]]
    shape = analyse("In 2019, what did readers say about austerity, and what did the unions "
                    "say about staff pay?", AUTHORS)
    # the leading scope covers both parts; the second names no side: no kind for the whole
    assert {f.name: f.value for f in shape.implied} == Y2019
    assert {f.name: f.value for f in shape.part_implied[0]} == {**Y2019, "kind": "comment"}


def test_focus_and_constraints():
    shape = analyse("What did readers say about austerity?")
    assert shape.focus == ("austerity",)
    shape = analyse("How many subcontracted services did Cheshire CRC have in 2018?")
    assert "subcontracted" in shape.focus and {"Cheshire", "CRC", "2018"} <= set(
        shape.constraints)
