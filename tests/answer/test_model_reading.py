"""A model answers from the reading stage's verdict: it gets the selected sentences, not
whole passages, under the same system prompt every time; a question whose fact the archive
does not state is answered with the gap without asking it; and a draft that disagrees with
the reading about the asked fact (a figure or name no cited passage holds, no such fact at
all, a refusal where a sentence states it) is not presented as the answer."""

from __future__ import annotations

from datetime import date

from assistant.answer.assistant import Assistant
from assistant.answer.model import (
    FILLED_NOTICE,
    MISSED_NOTICE,
    UNHELD_NOTICE,
    UNSTATED_NOTICE,
)
from assistant.answer.prompts import SYSTEM_PROMPT, build_prompt
from assistant.llm.fake import FakeBackend
from assistant.records import Hit
from assistant.text import count_tokens

from .test_answering import FakeRetriever
from .test_reading import HITS, HOSTEL, TAGS


def ask(hash_embedder, question, *replies):
    backend = FakeBackend(*replies)
    answer = Assistant(FakeRetriever(hash_embedder, HITS), backend=backend).ask(question)
    return answer, backend


def test_the_prompt_holds_the_selected_sentences_under_a_fixed_system_prompt(hash_embedder):
    question = "How many beds does the Leeds approved premises have?"
    answer, backend = ask(hash_embedder, question, "The hostel has 24 beds [1].",
                          "The hostel has 24 beds [1].")
    Assistant(FakeRetriever(hash_embedder, HITS), backend=backend).ask(
        "Which company was awarded the electronic monitoring contract?")
    first, second = (r.messages for r in backend.requests)
    assert first[0] == {"role": "system", "content": SYSTEM_PROMPT} == second[0]
    user = first[-1]["content"]
    assert "The hostel has 24 beds for men leaving prison." in user
    assert "Sarah Lane" not in user and "Napo" not in user  # not whole passages
    assert user.count("<<passage-") == user.count("<</passage-") >= 1
    assert "Question: How many beds" in user
    whole = build_prompt(question, HITS, max_passages=3).messages[-1]["content"]
    assert count_tokens(user) < count_tokens(whole) / 2
    assert not answer.refused and "24 beds" in answer.text and answer.backend == "fake"


def test_a_gap_the_reading_found_is_the_answer_and_the_model_is_not_asked(hash_embedder):
    answer, backend = ask(hash_embedder, "How many staff work at the Leeds approved premises?",
                          "About 40 staff work there [1].")
    assert backend.requests == []
    assert answer.gaps == ("the number of staff",) and "40" not in answer.text
    assert answer.text.startswith("The archive doesn't give the number of staff.")


def test_a_name_no_cited_passage_holds_is_replaced(hash_embedder):
    answer, _ = ask(hash_embedder, "Who announced the review of the Leeds hostel?",
                    "The review was announced in January 2017 by the regional director, "
                    "John Smith [1].")
    assert "John Smith" not in answer.text and "Sarah Lane" in answer.text
    assert answer.notice == UNHELD_NOTICE


def test_a_draft_that_states_no_fact_of_the_kind_asked_is_a_gap(hash_embedder):
    answer, _ = ask(hash_embedder, "Which company was awarded the electronic monitoring "
                                   "contract?",
                    "The electronic monitoring contract was awarded after a long delay [2].")
    assert answer.notice == UNSTATED_NOTICE and answer.gaps
    assert answer.text.startswith("The archive doesn't say which company")


def test_a_refusal_gives_way_to_the_sentence_that_states_the_figure(hash_embedder):
    answer, _ = ask(hash_embedder, "How many beds does the Leeds approved premises have?",
                    "The archive doesn't say.")
    assert not answer.refused and "24 beds" in answer.text and answer.notice == MISSED_NOTICE
    assert answer.citations[0].quote in HOSTEL


def test_a_part_the_draft_left_out_is_added_from_the_reading(hash_embedder):
    answer, backend = ask(hash_embedder, "How many beds does the Leeds hostel have, and how "
                                         "much compensation did the ministry pay the tag "
                                         "supplier?", "The hostel has 24 beds [1].")
    assert "several parts" in backend.requests[0].messages[-1]["content"]
    assert answer.text.startswith("The hostel has 24 beds [1].")
    assert "£60m" in answer.text and any(c.quote in TAGS for c in answer.citations)
    assert all(c.supported for c in answer.citations)


def test_a_figure_for_a_part_the_archive_does_not_cover_is_not_the_answer(hash_embedder):
    answer, backend = ask(hash_embedder, "How many beds does the Leeds hostel have, and how "
                                         "many staff work there?",
                          "The hostel has 24 beds and about 40 staff work there [1].")
    user = backend.requests[0].messages[-1]["content"]
    assert "The passages do not give the number of staff" in user  # the model was told
    assert "40" not in answer.text and "24 beds" in answer.text
    assert answer.gaps == ("the number of staff",) and answer.notice == FILLED_NOTICE
    assert "The archive doesn't give the number of staff." in answer.text


def test_who_wrote_a_signed_piece_is_answered_by_its_sign_off(hash_embedder):
    topic = ("Grayling privatised the probation service against advice. "
             "Bidders were told to bring innovative operating models.")
    signed = Hit(text=f"{topic} Staff kept the service going. David Raho", score=0.5,
                 source="2.txt", title="How We Got Here", date=date(2016, 9, 26), kind="post",
                 author="David Raho", chunk_id="c2", dense_score=0.6)
    backend = FakeBackend("Grayling privatised the probation service against advice [1].")
    answer = Assistant(FakeRetriever(hash_embedder, [signed]), backend=backend).ask(
        "Who wrote the analysis of how probation was privatised?")
    assert answer.text.startswith("The piece is signed David Raho [1]. Grayling privatised")
    assert answer.citations[0].quote == "David Raho" and answer.citations[0].supported


def test_a_name_opening_the_draft_is_the_fact_it_states(hash_embedder):
    answer, _ = ask(hash_embedder, "Which company was awarded the electronic monitoring "
                                   "contract?", "Capita was awarded the contract [1].")
    assert answer.text == "Capita was awarded the contract [1]." and not answer.gaps


def test_an_explanation_the_model_refused_is_given_from_the_reading(hash_embedder):
    answer, _ = ask(hash_embedder, "What did inspectors recommend for the Leeds hostel?",
                    "The archive doesn't say.")
    assert not answer.refused and "staffing plan" in answer.text
    assert answer.notice == MISSED_NOTICE
