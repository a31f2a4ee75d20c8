"""The reading stage in context, on small fixture posts away from the dev set: a follow-up is
not answered with what was just said, a passage that opens mid-thought gets the sentence
before it, "what did he expect" and "what did she tell them to do" prefer what will be and
what should be, "which X" wants a name of that kind, a compared part is read for its topic,
and table rows are never quoted."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.reading import with_lead_ins
from assistant.answer.weighing import leans_back
from assistant.records import Hit

from .test_answering import FakeRetriever


def _hit(n: int, text: str, title: str = "Post", kind: str = "post",
         author: str | None = None) -> Hit:
    return Hit(text=text, score=1.0 / n, source=f"{n}.txt", title=title,
               date=date(2016, 1, n), kind=kind, author=author, chunk_id=f"c{n}",
               post_id=f"p{n}", dense_score=0.6,
               comment_number=str(n) if kind == "comment" else None)


class ChunkedRetriever(FakeRetriever):
    """A fake retriever that knows the passage before each of its hits."""

    def __init__(self, embedder, hits, before: dict[str, str]):
        super().__init__(embedder, hits)
        self.before = before

    def previous_text(self, hit: Hit) -> str | None:
        return self.before.get(hit.chunk_id)


def test_a_follow_up_is_not_answered_with_what_was_just_said(hash_embedder):
    meeting = _hit(1, "We raised the funding gap with Amy Rees, the director of the reform "
                      "team, and she engaged positively. With the reform team we are now "
                      "exploring grants for small charities.")
    history = [{"role": "user", "content": "Who did Clinks raise the funding gap with?"},
               {"role": "assistant", "content": "Amy Rees, the director of the reform team; "
                                                "she engaged positively [1]."}]
    assistant = Assistant(FakeRetriever(hash_embedder, [meeting]))
    # the search adds the conversation's terms ("Amy Rees", "funding gap"): the sentence
    # holding them is what was answered, not what the follow-up asks
    answer = assistant.ask("What were they exploring with the reform team?", history)
    assert answer.text.startswith("With the reform team we are now exploring"), answer.text
    assert "Amy Rees" not in answer.text


@pytest.mark.parametrize(("sentence", "leans"), [
    ("The extent of this innovation has, however, been slowed by the negotiations.", True),
    ("However, the pilots were stopped.", True),
    ("But the money ran out.", True),
    ("It was noted that there was more.", True),
    ("These contracts are due to end in March.", False),
    ("The inspectors found few examples of innovation.", False),
])
def test_what_leans_on_the_sentence_before(sentence, leans):
    assert leans_back(sentence) is leans


def test_a_passage_opening_mid_thought_gets_the_sentence_before_it(hash_embedder):
    opening = ("The extent of this innovation has, however, been slowed by unpaid bills. "
               "Staff numbers fell.")
    hit = _hit(2, opening)
    before = "Budgets were cut. CRCs have begun to introduce new technology for staff."
    retriever = ChunkedRetriever(hash_embedder, [hit], {"c2": before})
    (completed,) = with_lead_ins(retriever, [hit])
    assert completed.text == f"CRCs have begun to introduce new technology for staff. {opening}"
    assert completed.chunk_id == hit.chunk_id
    # the overlap already repeats the opening: the sentence before it in the earlier passage
    overlap = f"Budgets were cut. {opening.split('. ')[0]}."
    (again,) = with_lead_ins(ChunkedRetriever(hash_embedder, [hit], {"c2": overlap}), [hit])
    assert again.text == f"Budgets were cut. {opening}"
    # a passage that opens with its own subject, or a piece's first passage, is left alone
    plain = _hit(3, "Staff numbers fell after the split.")
    assert with_lead_ins(ChunkedRetriever(hash_embedder, [plain], {"c3": before}),
                         [plain])[0] is plain
    assert with_lead_ins(FakeRetriever(hash_embedder, [hit]), [hit])[0] is hit

    answer = Assistant(retriever).ask("Were the CRCs introducing new technology for staff?")
    assert "CRCs have begun to introduce new technology" in answer.text, answer.text


def test_what_someone_expected_prefers_what_will_happen(hash_embedder):
    comment = _hit(1, "Staff pay and conditions are a race to the bottom now. Soon staff pay "
                      "and conditions will be cut.", kind="comment", author="papa")
    answer = Assistant(FakeRetriever(hash_embedder, [comment])).ask(
        "What did papa expect to happen to staff pay and conditions?")
    assert answer.text.startswith("Soon staff pay and conditions will be cut"), answer.text


def test_how_readers_reacted_prefers_a_stance(hash_embedder):
    repost = _hit(1, "The partnership's description of itself as a stable organisation was "
                     "reposted.", kind="comment")
    reader = _hit(2, "I laughed when I read the partnership's description of a stable "
                     "organisation.", kind="comment")
    answer = Assistant(FakeRetriever(hash_embedder, [repost, reader])).ask(
        "How did readers react to the partnership's description of a stable organisation?")
    assert answer.text.startswith("I laughed"), answer.text


def test_which_x_wants_a_name_of_that_kind(hash_embedder):
    post = _hit(1, "Some CRC package areas only had one suitable bidder, which surprised "
                   "nobody at all in Whitehall.")
    answer = Assistant(FakeRetriever(hash_embedder, [post])).ask(
        "Which CRC package areas had only one suitable bidder in the competition?")
    assert answer.gaps, answer.text  # Whitehall is named, but it is not a package area
    named = _hit(2, "The national average was six services per CRC. It was more than "
                    "double this in Cheshire and Greater Manchester CRC.")
    answer = Assistant(FakeRetriever(hash_embedder, [named])).ask(
        "Which CRC had more than double the national average of services?")
    assert not answer.gaps and "Cheshire and Greater Manchester" in answer.text, answer.text


def test_a_table_row_is_never_quoted(hash_embedder):
    table = _hit(1, "Tier 2 providers paid Y N Y Tier 3 providers paid Y N Y\n\nUnless the "
                    "prime succeeds, the smaller providers are not paid.")
    answer = Assistant(FakeRetriever(hash_embedder, [table])).ask(
        "Did Tier 2 and Tier 3 providers get paid?")
    assert "Y N" not in answer.text, answer.text


def test_a_pre_year_is_not_the_date_asked_for(hash_embedder):
    post = _hit(1, "The small charities' pre-2014 contracts end early.")
    answer = Assistant(FakeRetriever(hash_embedder, [post])).ask(
        "When do the small charities' contracts end?")
    assert answer.gaps == ("when the small charities' contracts end",), answer.text


class DatedRetriever(FakeRetriever):
    """A fake retriever over an archive dated 2016-01-01 to 2016-01-02."""

    class Store:
        path = "dated"

        def authors(self, limit):
            return []

        def date_span(self):
            return ("2016-01-01", "2016-01-02")

    store = Store()


def test_a_question_about_after_the_archive_ends_says_when_it_ends(hash_embedder):
    post = _hit(1, "Probation officers' pay was frozen for six years. Probation officers "
                   "voted for strike action over their pay.")
    assistant = Assistant(DatedRetriever(hash_embedder, [post]))
    answer = assistant.ask("What was the pay of probation officers in 2024?")
    assert answer.text.startswith("The archive ends in January 2016, so it doesn't give the "
                                  "pay of probation officers in 2024."), answer.text
    assert "What it does say: Probation officers' pay was frozen" in answer.text
    # a year before the archive begins can still be written about in it
    before = assistant.ask("What was the pay of probation officers in 2012?")
    assert "The archive ends" not in before.text


def test_a_gap_quotes_nearby_only_what_speaks_of_the_question(hash_embedder):
    post = _hit(1, "Our probation officer persona tended to be holier than thou. Staff at "
                   "the probation office ate lunch together.")
    answer = Assistant(FakeRetriever(hash_embedder, [post])).ask(
        "What is the salary of a probation officer?")
    assert answer.gaps and answer.text == ("The archive doesn't give the salary of a "
                                           "probation officer."), answer.text
