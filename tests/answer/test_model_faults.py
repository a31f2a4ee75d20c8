"""The Assistant over a real OpenAI-compatible client talking to loopback servers that fail:
a stream cut mid-sentence keeps only its finished sentences (the unfinished one loses its
citation with it) and says so; an unusable reply ends in the extractive answer with a
notice naming what arrived."""

from __future__ import annotations

import pytest

from assistant.answer.assistant import Assistant
from assistant.llm import OpenAICompatBackend
from assistant.records import NoticeEvent, TextDelta
from tests.answer.test_answering import PAY, QUESTION, SHIP, FakeRetriever, make_hit
from tests.llm.llm_stubs import Reply, StubServer, sse_body
from tests.llm.raw_server import RawServer, raw_reply

FIRST = "Napo members will be balloted over the pay freeze [1]. "
UNFINISHED = "The union says six years [1] of frozen"  # its words are in passage 1


@pytest.fixture
def stub():
    server = StubServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def retriever(hash_embedder):
    return FakeRetriever(hash_embedder, [make_hit(PAY, 1), make_hit(SHIP, 2, dense=0.2)])


def ask(retriever, url):
    backend = OpenAICompatBackend("test-model", url, request_timeout=5.0, connect_timeout=2.0,
                                  backoff=0.01, max_attempts=2)
    events = list(Assistant(retriever, backend=backend).stream(QUESTION))
    notices = [e.message for e in events if isinstance(e, NoticeEvent)]
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    return events[-1].answer, notices, streamed


def test_stream_cut_mid_sentence_drops_the_unfinished_sentence_and_its_citation(
        stub, retriever):
    stub.replies = [Reply(chunks=sse_body(FIRST, UNFINISHED, done=False))]
    answer, notices, streamed = ask(retriever, stub.base_url)
    assert streamed == FIRST + UNFINISHED  # what the reader saw arrive
    assert answer.text == FIRST.strip()
    assert "six years" not in answer.text and "frozen" not in answer.text
    assert [c.sentence for c in answer.citations] == [
        "Napo members will be balloted over the pay freeze."]
    assert all(c.supported for c in answer.citations)
    assert notices == [answer.notice]
    assert answer.notice.startswith("The answer was cut off: The stream from ")
    assert "ended before [DONE]" in answer.notice
    assert answer.notice.endswith("Its unfinished last sentence was left out.")
    assert answer.draft == (FIRST + UNFINISHED).strip() and not answer.refused
    assert len(stub.requests) == 1  # text had arrived: never retried


def test_an_answer_ending_mid_sentence_at_the_length_limit_drops_that_sentence(
        stub, retriever):
    # a clean end ([DONE]) after an unfinished sentence near max_tokens (320): the limit
    long = "The union says six years of frozen pay " + "and still more frozen pay " * 60
    stub.replies = [Reply(chunks=sse_body(FIRST, long))]
    answer, notices, _ = ask(retriever, stub.base_url)
    assert answer.text == FIRST.strip() and "six years" not in answer.text
    assert notices == [answer.notice] and "length limit" in answer.notice
    assert answer.notice.endswith("Its unfinished last sentence was left out.")


def test_stream_cut_after_a_finished_sentence_keeps_it_all(stub, retriever):
    stub.replies = [Reply(chunks=sse_body(FIRST, done=False))]
    answer, _, _ = ask(retriever, stub.base_url)
    assert answer.text == FIRST.strip() and answer.citations[0].supported
    assert answer.notice.startswith("The answer was cut off") and "left out" not in answer.notice


def test_stream_cut_before_any_sentence_ends_answers_extractively(stub, retriever):
    stub.replies = [Reply(chunks=sse_body(UNFINISHED, done=False))]
    answer, notices, _ = ask(retriever, stub.base_url)
    assert answer.backend == "extractive" and not answer.refused
    assert answer.notice.startswith("The answer was cut off before its first sentence was "
                                    "complete: The stream from ")
    assert answer.notice.endswith("; answered extractively instead.")
    assert notices == [answer.notice]
    assert answer.citations and all(c.supported for c in answer.citations)
    assert "frozen" not in answer.text.split("[1]")[-1]  # the extract, not the fragment


def test_an_html_page_ends_in_the_extractive_answer_saying_so(retriever):
    page = b"<!doctype html><html><head><title>Sign in</title></head><body></body></html>"
    with RawServer(raw_reply(200, "text/html", page)) as server:
        answer, notices, _ = ask(retriever, server.base_url)
    assert answer.backend == "extractive" and answer.citations
    assert "answered with an HTML page, not JSON (status 200, text/html, page title " \
           "'Sign in')" in answer.notice
    assert answer.notice.endswith("answered extractively instead.")
    assert notices == [answer.notice]


FAULT_NOTES = {  # benchmarks.faults.FAULTS: who answers, and what the notice says
    "healthy": ("model", None),
    "rate-limit": ("extractive", "is rate-limiting requests (HTTP 429, 3 attempts)"),
    "hang": ("extractive", "sent nothing for 1 s (request timeout"),
    "drop-early": ("extractive", "cut off before its first sentence was complete"),
    "drop-late": ("model", "Its unfinished last sentence was left out."),
    "unauthorized": ("extractive", "rejected the API key (HTTP 401)"),
    "server-error": ("extractive", "is overloaded or failing (HTTP 500, 3 attempts)"),
    "proxy-page": ("extractive", "answered with an HTML page, not JSON (status 502"),
    "login-page": ("extractive", "answered with an HTML page, not JSON (status 200"),
    "garbage": ("extractive", "neither JSON nor an event stream"),
    "garbage-events": ("extractive", "sent an event that is not JSON"),
    "empty": ("extractive", "answered with an empty body"),
}


@pytest.mark.server
def test_every_fault_of_the_benchmark_ends_in_an_answer_with_its_own_notice(retriever):
    from benchmarks.faults import FAULTS, QUESTION, FaultServer

    assert set(FAULT_NOTES) == set(FAULTS) - {"slow"}  # slow: a healthy answer, 3 s late
    server = FaultServer()
    try:
        for fault, (who, notice) in FAULT_NOTES.items():
            backend = OpenAICompatBackend(fault, server.base_url, request_timeout=1.0,
                                          backoff=0.01)
            answer = Assistant(retriever, backend=backend).ask(QUESTION)
            assert answer.backend.startswith("openai" if who == "model" else who), fault
            assert not answer.refused and answer.citations, fault
            if notice is None:
                assert answer.notice is None, fault
            else:
                assert notice in answer.notice, (fault, answer.notice)
            backend.close()
    finally:
        server.close()
