"""Conversation: a follow-up made standalone for the search, the conversation reaching the
model with it, and implied filters carried to an elliptical follow-up. Made-up
conversations, not the eval files'."""

from __future__ import annotations

from assistant.answer.prompts import normalize_history
from assistant.answer.understand import (
    CARRIED,
    rewrite_followup,
    salient_terms,
    understand,
)
from assistant.llm.fake import FakeBackend

AUTHORS = ("Getafix", "papa", "David Raho")


def turns(*pairs):
    out = []
    for question, answer in pairs:
        out += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return out


MINISTER = turns(("Which shadow minister attacked the prisons contract in 2019?",
                  "Imogen Clarke, the Shadow Prisons Minister, who called it a scandal [1]."))
COUNT = turns(("How many hostels did each region run on average in 2017?",
               "An average of four approved hostels per region [2]."))
AUSTERITY = turns(("In 2019, what did readers say about austerity?",
                   "One reader blamed the cuts on privatisation [1]."))


def test_the_heuristic_rewrite_names_who_she_is_and_what_that_many_counts():
    text = rewrite_followup("What did she say Labour would do about the contract?", MINISTER)
    assert "Imogen Clarke" in text and text.startswith("What did she say")
    text = rewrite_followup("Which region had twice that many?", COUNT)
    assert "four" in text and "hostels" in text and "average" in text


def test_the_last_answers_first_name_comes_before_the_earlier_questions_words():
    text = rewrite_followup("And what did it cost?", MINISTER)
    extra = text[text.index("(") + 1:-1]
    assert extra.index("Imogen Clarke") < extra.index("attacked")
    assert "Shadow" not in extra  # the names after the answer's first lead back to its passage
    assert "1" not in extra.split()  # the answer's "[1]" is no number of its own


def test_cited_passages_carried_by_the_history_are_read_too():
    history = [{"role": "user", "content": "Who runs the hostels in the north?"},
               {"role": "assistant", "content": "A private firm runs them [1].",
                "citations": [{"n": 1, "quote": "Hostel services went to Mitie Care and "
                                                "Custody in 2016."}]}]
    assert "Mitie Care" in rewrite_followup("Did the same company run the courts?", history)
    assert normalize_history(history)[1]["quotes"].startswith("Hostel services")


def test_a_question_that_stands_alone_is_searched_as_written():
    question = "How many probation trusts were split in June 2014?"
    assert rewrite_followup(question, MINISTER) == question
    assert understand(question, MINISTER).text == question
    assert understand("And why?", []).text == "And why?"


def test_salient_terms_skip_capitals_that_only_open_a_sentence():
    assert salient_terms("The union said six. Members at Doncaster and Peterborough agreed.") \
        == ["Doncaster", "Peterborough", "six"]


def _implied(query):
    return {f.name: f.value for f in query.implied}


def test_an_elliptical_follow_up_keeps_the_earlier_scope():
    query = understand("And about pay?", AUSTERITY, authors=AUTHORS)
    assert _implied(query) == {"since": "2019-01-01", "until": "2019-12-31",
                               "kind": "comment"}
    assert all(f.phrase.endswith(CARRIED) for f in query.implied)
    assert query.filters["kind"] == "comment"
    # its own words replace what they name
    query = understand("And what did the blogger say?", AUSTERITY, authors=AUTHORS)
    assert _implied(query) == {"since": "2019-01-01", "until": "2019-12-31", "kind": "post"}
    query = understand("What about 2020?", AUSTERITY, authors=AUTHORS)
    assert _implied(query) == {"since": "2020-01-01", "until": "2020-12-31",
                               "kind": "comment"}


def test_a_chain_of_elliptical_follow_ups_keeps_the_first_scope():
    history = AUSTERITY + turns(("And about pay?", "Pay was frozen for years [2]."))
    assert _implied(understand("And about caseloads?", history)) == {
        "since": "2019-01-01", "until": "2019-12-31", "kind": "comment"}


def test_a_follow_up_that_is_its_own_question_starts_afresh():
    query = understand("Which union did they blame for that?", AUSTERITY)
    assert _implied(query) == {}
    query = understand("What did the ministry say about it then?", AUSTERITY)
    assert _implied(query) == {"since": "2019-01-01", "until": "2019-12-31"}  # "then"


def test_explicit_filters_win_over_carried_ones():
    query = understand("And about pay?", AUSTERITY, explicit={"kind": "all", "since": ""})
    assert _implied(query) == {} and query.filters["kind"] == "all"
    assert understand("And about pay?", AUSTERITY, infer_filters=False).implied == ()


def test_a_follow_up_reaches_the_model_once_as_written_with_the_conversation(hash_embedder):
    from assistant.answer.assistant import Assistant

    from .test_answering import FakeRetriever, make_hit

    hit = make_hit("Imogen Clarke said Labour would bring the prisons contract back in house.",
                   1)
    chat = FakeBackend("Labour would bring the contract back in house [1].")
    question = "What did she say Labour would do about the contract?"
    Assistant(FakeRetriever(hash_embedder, [hit]), backend=chat).ask(question, MINISTER)
    (request,) = chat.requests  # no separate rewrite call before the answer
    prompt = "\n".join(m["content"] for m in request.messages)
    assert question in prompt and "Imogen Clarke" in prompt  # the history, within budget
