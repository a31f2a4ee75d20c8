"""The reading stage over small fixture posts, away from the dev set: near-miss questions
(the posts discuss the topic but never state the asked fact) get an honest gap that says
what is missing and cites what the archive says nearby; answerable ones get one cited
sentence (or a short run) per part, nothing unrelated; off-topic ones the plain refusal."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.answerer import REFUSAL_MESSAGE
from assistant.answer.assistant import Assistant
from assistant.records import Hit

from .test_answering import FakeRetriever

HOSTEL = ("The inspection of the Leeds approved premises found that staff shortages left night "
          "shifts uncovered. The hostel has 24 beds for men leaving prison. It opened in April "
          "2015 after a two-year delay. The review was announced in January 2017 by the "
          "regional director, Sarah Lane. Inspectors recommended that managers publish a "
          "staffing plan.")
TAGS = ("The electronic monitoring contract was awarded to Capita after a long delay. The new "
        "tags were meant to track offenders by satellite. Critics said the programme was badly "
        "managed. The ministry paid the supplier £60m in compensation for the delayed rollout.")
READER = ("Tags keep failing in rural areas. They lose signal for hours at a time, so officers "
          "cannot see where people are.")
BALLOT = ("Napo members voted for industrial action over the pay freeze. The union says six "
          "years of frozen pay is too long. The ballot closed on 14 June 2019.")


def _hit(n: int, text: str, title: str, day: date, kind: str = "post",
         author: str | None = None, dense: float = 0.6) -> Hit:
    return Hit(text=text, score=1.0 / n, source=f"{n}.txt", title=title, date=day, kind=kind,
               author=author, chunk_id=f"c{n}", post_id=f"p{n}", dense_score=dense,
               comment_number="1" if kind == "comment" else None)


HITS = [_hit(1, HOSTEL, "Hostel Review", date(2017, 5, 2)),
        _hit(2, TAGS, "Tagging Contract", date(2018, 3, 10)),
        _hit(3, READER, "Tagging Contract", date(2018, 3, 11), "comment", "Getafix"),
        _hit(4, BALLOT, "Union Ballot", date(2019, 6, 20))]


@pytest.fixture
def assistant(hash_embedder):
    return Assistant(FakeRetriever(hash_embedder, HITS), backend="extractive")


@pytest.mark.parametrize(("question", "missing", "nearby"), [
    ("How many staff work at the Leeds approved premises?", "the number of staff",
     "staff shortages"),
    ("How much did the electronic monitoring tags cost?",
     "how much the electronic monitoring tags cost", ""),
    ("When did the Leeds hostel close?", "when the Leeds hostel closed", ""),
    ("What was recommendation 3 of the inspection of the Leeds approved premises?",
     "recommendation 3 of the inspection of the Leeds approved premises", ""),
    ("What were the findings of the Capita review?", "the findings of the Capita review", ""),
    ("What did the Justice Committee say about the tagging programme?",
     "what the Justice Committee said about the tagging programme", ""),
    ("What did Napo say about the pay freeze in 2012?",
     "what Napo said about the pay freeze in 2012", ""),
    ("How many Napo members voted for industrial action?", "the number of Napo members",
     "voted for industrial action"),
    ("Which charities ran the Leeds hostel before the inspection?",
     "which charities ran the Leeds hostel before the inspection", ""),
])
def test_near_miss_questions_get_an_honest_gap(assistant, question, missing, nearby):
    answer = assistant.ask(question)
    assert not answer.refused and answer.gaps == (missing,), answer.text
    verb = "say" if missing.split()[0] in ("how", "when", "what", "which", "who") else "give"
    assert answer.text.startswith(f"The archive doesn't {verb} {missing}.")
    assert answer.citations and all(c.supported for c in answer.citations)
    assert nearby in answer.text  # what the archive does say, cited
    assert answer.text.count("[") == len(answer.citations)


def test_a_gap_names_no_figure_and_quotes_what_is_nearby(assistant):
    answer = assistant.ask("How much did the electronic monitoring tags cost?")
    first, _, rest = answer.text.partition(". ")
    assert not any(ch.isdigit() for ch in first) and "£" not in first
    assert rest.startswith("What it does say: ") and rest.endswith("[2].")


@pytest.mark.parametrize(("question", "expected", "sentences"), [
    ("How many beds does the Leeds approved premises have?", "24 beds", 1),
    ("How much compensation did the ministry pay the tag supplier?", "£60m", 1),
    # "It opened in April 2015 …" brings the sentence that says what "it" is
    ("When did the Leeds hostel open?", "The hostel has 24 beds for men leaving prison [1]. "
                                        "It opened in April 2015", 2),
    ("When was the hostel review announced?", "January 2017", 1),
    ("Who announced the review of the Leeds hostel?", "Sarah Lane", 1),
    ("Which company was awarded the electronic monitoring contract?", "Capita", 1),
    ("What did inspectors recommend for the Leeds hostel?", "staffing plan", 1),
    ("For how many years has pay been frozen, according to Napo?", "six years", 1),
    ("When did the Napo ballot close?", "14 June 2019", 1),
])
def test_answerable_questions_get_one_cited_sentence(assistant, question, expected, sentences):
    answer = assistant.ask(question)
    assert not answer.refused and answer.gaps == (), answer.text
    assert expected in answer.text
    assert len(answer.citations) == sentences and all(c.supported for c in answer.citations)
    assert answer.text.endswith("].") and answer.text.count("[") == sentences


def test_a_pronoun_led_sentence_brings_its_antecedent(assistant):
    answer = assistant.ask("Why do readers say the tags lose signal for hours?")
    assert answer.text.startswith("Tags keep failing in rural areas [3]. They lose signal")
    assert [c.n for c in answer.citations] == [3, 3]


def test_each_part_of_a_compound_question_is_answered_in_order_with_its_source(assistant):
    answer = assistant.ask("How many beds does the Leeds hostel have, and how much "
                           "compensation did the ministry pay the tag supplier?")
    beds, money = answer.text.index("24 beds"), answer.text.index("£60m")
    assert beds < money and answer.gaps == ()
    assert answer.text.startswith("“Hostel Review” (2 May 2017): ")
    assert "“Tagging Contract” (10 Mar 2018): The ministry paid" in answer.text
    assert {c.n for c in answer.citations} == {1, 2}
    assert "satellite" not in answer.text and "Napo" not in answer.text  # nothing unrelated


def test_a_part_the_archive_does_not_cover_is_named(assistant):
    answer = assistant.ask("How many beds does the Leeds hostel have, and how many staff "
                           "work there?")
    assert "24 beds" in answer.text and answer.gaps == ("the number of staff",)
    assert "The archive doesn't give the number of staff." in answer.text


def test_an_off_topic_question_keeps_the_plain_refusal(hash_embedder):
    weak = [_hit(1, TAGS, "Tagging Contract", date(2018, 3, 10), dense=0.05)]
    answer = Assistant(FakeRetriever(hash_embedder, weak)).ask("What is a good shortbread "
                                                               "recipe?")
    assert answer.refused and answer.text == REFUSAL_MESSAGE and answer.gaps == ()
    # evidence that passes retrieval but says nothing to the question: refused too
    assert Assistant(FakeRetriever(hash_embedder, HITS)).ask(
        "What is a good shortbread recipe?").refused


class FilteringRetriever(FakeRetriever):
    """Applies the kind filter, as the real retriever does, and records every search."""

    def __init__(self, embedder, hits):
        super().__init__(embedder, hits)
        self.searches: list[tuple[str, dict]] = []

    def search(self, query, k=5, **filters):
        self.searches.append((query, filters))
        kind = filters.get("kind")
        return [h for h in super().search(query, k=10, **filters)
                if not kind or h.kind == kind][:k]


def test_each_part_is_searched_with_its_own_filters_and_read_from_its_own_passages(
        hash_embedder):
    retriever = FilteringRetriever(hash_embedder, HITS)
    answer = Assistant(retriever).ask("How many beds does the Leeds hostel have, and what "
                                      "did readers say about the tags losing signal?")
    _, (first, one), (second, two) = retriever.searches
    assert first.startswith("How many beds") and "kind" not in one
    assert second.startswith("what did readers say") and two == {"kind": "comment"}
    # one numbering for the merged passages: the comment is cited as what readers said
    assert "24 beds" in answer.text and "A reader, on “Tagging Contract” (11 Mar 2018): " \
        in answer.text
    comment = next(c for c in answer.citations if c.hit.kind == "comment")
    assert answer.passages[comment.n - 1] is comment.hit


def test_what_readers_said_about_a_post_is_read_from_comments_that_never_name_it(
        hash_embedder):
    """A comment speaks of its post without naming it: "what did readers say about <the
    post>?" is answered from its comments, cited, and not from another post's comment."""
    title = "Allotment Rent Review"
    post = _hit(1, "The committee will review allotment rents at the spring meeting.", title,
                date(2021, 3, 1))
    replies = [_hit(2, "Fifty pounds a year is too much for a half plot.", title,
                    date(2021, 3, 2), "comment", "Rowan"),
               _hit(3, "Could the waiting list be published before then?", title,
                    date(2021, 3, 3), "comment", "Ivy"),
               _hit(4, "Lovely photos of the beans this week.", "Bean Harvest",
                    date(2021, 8, 1), "comment", "Moss")]
    class ByKind(FakeRetriever):  # "readers" implies comments: the search applies it
        def search(self, query, k=5, **filters):
            kind = filters.get("kind")
            return [h for h in super().search(query, k, **filters) if kind in (None, h.kind)]

    answer = Assistant(ByKind(hash_embedder, [post, *replies]),
                       backend="extractive").ask(f"What did readers say about the {title}?")
    assert not answer.refused, answer.text
    cited = {c.hit.chunk_id for c in answer.citations}
    assert cited and cited <= {"c2", "c3"}, answer.text
    assert all(c.supported for c in answer.citations)


@pytest.mark.parametrize("question", ["What did inspectors recommend for the Leeds hostel?",
                                      "What did Getafix say about the tagging contract?"])
def test_the_same_question_asked_again_gets_its_answer_again(assistant, question):
    """The page's timeline asks the last question again for a period: its answer is not
    "something else" a follow-up wants, so restating it is no reason to refuse."""
    first = assistant.ask(question)
    history = [{"role": "user", "content": question},
               {"role": "assistant", "content": first.text}]
    again = assistant.ask(question, history)
    assert not first.refused and not again.refused, again.text
    assert again.text == first.text
