"""REST API against a live uvicorn server on 127.0.0.1 over a tiny hash-embedded index."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from assistant.llm.fake import FakeBackend
from assistant.serve.http import create_app

from ..conftest import REPO
from .server_helpers import live_server, small_assistant

pytestmark = pytest.mark.server

PAY_QUESTION = "Will Napo members ballot on industrial action over pay?"
HIT_KEYS = {"text", "score", "source", "title", "date", "kind", "author", "chunk_id",
            "comment_number", "reply_to", "url", "post_id"}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    return small_assistant(tmp_path_factory.mktemp("rest"))


@pytest.fixture(scope="module")
def client(assistant):
    with live_server(create_app(assistant)) as url, httpx.Client(base_url=url) as http:
        yield http


@pytest.fixture(scope="module")
def model_client(tmp_path_factory):
    """A server whose default backend is a (scripted) model streaming in small pieces."""
    reply = "Napo members will be balloted on industrial action over the pay freeze [1]. " \
            "Nobody disagreed [7]."
    backend = FakeBackend(default=reply, name="scripted", piece=9)
    assistant = small_assistant(tmp_path_factory.mktemp("model"), backend)
    with live_server(create_app(assistant)) as url, httpx.Client(base_url=url) as http:
        yield http


def sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_health_reports_index_and_model(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["index_loaded"] is True
    assert body["model"] == "test-hash-64" and body["backend"] == "extractive"
    assert body["counts"] == {"posts": 2, "comments": 2, "chunks": 4}


def test_search_returns_hits_as_in_search_json(client, assistant):
    response = client.get("/search", params={"q": "ballot industrial action pay", "k": 2})
    assert response.status_code == 200
    hits = response.json()
    assert len(hits) == 2 and all(set(hit) == HIT_KEYS for hit in hits)
    expected = assistant.retriever.search("ballot industrial action pay", k=2)
    assert hits == [hit.as_dict() for hit in expected]


def test_search_filters(client):
    comments = client.get("/search", params={"q": "pay", "k": 10, "kind": "comment"}).json()
    assert comments and {hit["kind"] for hit in comments} == {"comment"}
    by_author = client.get("/search", params={"q": "pay", "author": "getafix"}).json()
    assert [hit["author"] for hit in by_author] == ["Getafix"]
    dated = client.get("/search", params={"q": "contract", "since": "2014-03-04",
                                          "until": "2014-03-04"}).json()
    assert {hit["title"] for hit in dated} == {"Trident Contract Awarded"}
    assert client.get("/search", params={"q": "pay", "since": "2015-01-01"}).json() == []


@pytest.mark.parametrize("params,status,message", [
    ({"q": "pay", "k": 0}, 422, "greater than or equal to 1"),
    ({"q": "pay", "k": 101}, 422, "less than or equal to 100"),
    ({"q": "pay", "k": "many"}, 422, "valid integer"),
    ({"k": 3}, 422, "Field required"),
    ({"q": "   "}, 400, "the query is empty"),
    ({"q": "pay", "since": "03/03/2014"}, 400, "since must be a date as YYYY-MM-DD"),
    ({"q": "pay", "since": "2015-01-01", "until": "2014-01-01"}, 400, "is after until"),
    ({"q": "pay", "kind": "reply"}, 422, "'post', 'comment' or 'both'"),
])
def test_search_rejects_bad_input_clearly(client, params, status, message):
    response = client.get("/search", params=params)
    assert response.status_code == status
    assert message in json.dumps(response.json())
    assert "Traceback" not in response.text


def test_ask_returns_the_ask_json_object(client, assistant):
    response = client.post("/ask", json={"question": PAY_QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert body == assistant.ask(PAY_QUESTION).as_dict()
    assert body["refused"] is False and "[1]" in body["answer"]
    assert body["citations"][0]["title"] == "Unions Ballot Over Pay"


def test_ask_with_history_filters_and_k(client):
    body = {"question": "Did anyone say caseloads matter more than pay?",
            "history": [{"role": "user", "content": PAY_QUESTION},
                        {"role": "assistant", "content": "Napo will ballot [1]."}],
            "filters": {"kind": "comment"}, "k": 3, "backend": "extractive"}
    answer = client.post("/ask", json=body).json()
    assert answer["citations"] and all(c["kind"] == "comment" for c in answer["citations"])
    nothing = client.post("/ask", json={"question": PAY_QUESTION,
                                        "filters": {"since": "2020-01-01"}}).json()
    assert nothing["refused"] is True and nothing["citations"] == []


READERS = "What did readers say about the pay freeze?"


def test_ask_returns_the_filters_the_wording_implied_and_a_request_can_lift_them(client):
    body = client.post("/ask", json={"question": READERS}).json()
    assert body["implied_filters"] == [{"name": "kind", "value": "comment",
                                        "phrase": "readers"}]
    assert body["gaps"] == [] and body["citations"]
    assert all(c["kind"] == "comment" for c in body["citations"])
    for lifted in ({"filters": {"kind": "both"}}, {"filters": {"kind": "all"}},
                   {"filters": {"kind": ""}}, {"infer_filters": False}):
        answer = client.post("/ask", json={"question": READERS, **lifted}).json()
        assert answer["implied_filters"] == [], lifted
    # an explicit filter wins and is not reported as implied
    posts = client.post("/ask", json={"question": READERS, "filters": {"kind": "post"}}).json()
    assert posts["implied_filters"] == [] and {c["kind"] for c in posts["citations"]} <= {"post"}
    events = sse(client.post("/ask", params={"stream": "true"},
                             json={"question": READERS}).text)
    assert events[-1][0] == "answer" and events[-1][1]["implied_filters"][0]["value"] == \
        "comment"


@pytest.mark.parametrize("body,status,message", [
    ({"question": ""}, 422, "at least 1 character"),
    ({"question": "   "}, 400, "the question is empty"),
    ({}, 422, "Field required"),
    ({"question": "pay", "k": 500}, 422, "less than or equal to 100"),
    ({"question": "pay", "filters": {"until": "yesterday"}}, 400, "until must be a date"),
    ({"question": "pay", "filter": {"kind": "post"}}, 422, "Extra inputs"),
    ({"question": "pay", "infer_filters": "perhaps"}, 422, "valid boolean"),
    ({"question": "pay", "backend": "openai:x@http://example.com/v1"}, 400, "not enabled"),
])
def test_ask_rejects_bad_input_clearly(client, body, status, message):
    for stream in ("false", "true"):
        response = client.post("/ask", params={"stream": stream}, json=body)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        assert message in json.dumps(response.json())


def test_ask_stream_sends_sources_deltas_and_the_answer(client, assistant):
    response = client.post("/ask", params={"stream": "true"}, json={"question": PAY_QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "answer" and "delta" in names
    assert events[0][1]["query"] == PAY_QUESTION
    assert all(set(hit) == HIT_KEYS for hit in events[0][1]["passages"])
    assert events[-1][1] == assistant.ask(PAY_QUESTION).as_dict()


def test_model_stream_arrives_in_pieces_and_ends_verified(model_client):
    response = model_client.post("/ask", params={"stream": "true"},
                                 json={"question": PAY_QUESTION})
    events = sse(response.text)
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) > 5 and "[7]" in "".join(deltas)
    name, answer = events[-1]
    assert name == "answer" and "[7]" not in answer["answer"] and "[1]" in answer["answer"]
    # The default backend may be named, not just "extractive".
    assert model_client.post("/ask", json={"question": PAY_QUESTION,
                                           "backend": "scripted"}).status_code == 200


def test_concurrent_searches_match_sequential_ones(client):
    queries = ["pay freeze", "ballot", "shipyard contract", "caseloads", "union pay",
               "defence company", "industrial action", "frozen pay"] * 4
    expected = {q: client.get("/search", params={"q": q, "k": 3}).json() for q in queries}

    def fetch(query: str):
        with httpx.Client(base_url=str(client.base_url)) as http:
            return query, http.get("/search", params={"q": query, "k": 3}).json()

    with ThreadPoolExecutor(8) as pool:
        for query, hits in pool.map(fetch, queries):
            assert hits == expected[query]


def test_errors_never_leak_internals(client, assistant, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret /srv/path exploded")

    monkeypatch.setattr(assistant.retriever, "search", boom)
    for response in (client.get("/search", params={"q": "pay"}),
                     client.post("/ask", json={"question": PAY_QUESTION})):
        assert response.status_code == 500
        assert response.json() == {"detail": "internal error"}


def test_a_failure_mid_stream_ends_with_an_error_event(client, assistant, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret /srv/path exploded")

    # after the sources went out: the extractive answerer writing its answer
    monkeypatch.setattr("assistant.answer.extractive.ExtractiveAnswerer.write", broken)
    response = client.post("/ask", params={"stream": "true"}, json={"question": PAY_QUESTION})
    events = sse(response.text)
    assert events[0][0] == "sources"
    assert events[-1] == ("error", {"detail": "internal error"})


def test_openapi_schema_and_docs(client):
    schema = client.get("/openapi.json").json()
    assert {"/health", "/search", "/ask", "/v1/chat/completions", "/v1/models"} \
        <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_importing_the_library_loads_no_server_ui_or_model(tmp_path):
    code = ("import sys, assistant, assistant.cli\n"
            "heavy = {'fastapi', 'starlette', 'uvicorn', 'mcp', 'gradio', 'openai', "
            "'llama_cpp', 'torch', 'sentence_transformers', 'transformers', 'faiss'}\n"
            "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_has_serve_and_mcp_subcommands():
    out = subprocess.run([sys.executable, "-m", "assistant", "serve", "--help"], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=True)
    assert "--port" in out.stdout and "127.0.0.1" in out.stdout
    out = subprocess.run([sys.executable, "-m", "assistant", "mcp", "--help"], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=True)
    assert "--backend" in out.stdout


def test_timeline_counts_posts_and_comments_per_period(client):
    whole = client.get("/timeline", params={"granularity": "year"}).json()
    assert whole["granularity"] == "year"
    assert whole["buckets"] == [{"period": "2014", "posts": 2, "comments": 2}]
    month = client.get("/timeline", params={"q": "ballot", "kind": "post"}).json()
    assert month["granularity"] == "month" and month["posts"] == 1 and month["comments"] == 0
    bad = client.get("/timeline", params={"granularity": "week"})
    assert bad.status_code in (400, 422)
    assert client.get("/timeline", params={"since": "May"}).status_code == 400


def test_a_hits_post_id_opens_its_whole_thread(client):
    hit = client.get("/search", params={"q": "ballot industrial action pay", "k": 1}).json()[0]
    thread = client.get(f"/thread/{hit['post_id']}").json()
    assert thread["title"] == "Unions Ballot Over Pay"
    assert hit["chunk_id"] in thread["post"]["chunk_ids"] + [
        i for c in thread["comments"] for i in c["chunk_ids"]]
    assert len(thread["comments"]) == 2
    missing = client.get("/thread/0123456789abcdef")
    assert missing.status_code == 404 and "no post" in missing.json()["detail"]
