"""What malformed calls get from the page: typed arguments refused by name (``api``), and
Gradio's own failures turned into JSON errors (``guard``). Found by ``benchmarks.malformed``:
before, ``k=3.7`` was searched as 3, ``k=None`` and a numeric question were "Something went
wrong", an unknown endpoint or ``fn_index`` a bare 500, an unknown event's stream cut off."""

from __future__ import annotations

import gradio as gr
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.middleware import Middleware
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from gradio.route_utils import FnIndexInferError

from assistant.ui.api import PageApi, clear_errors
from assistant.ui.guard import RequestGuard, refusal
from assistant.ui.page import build_app, launch_options
from tests.ui.helpers import FakeAssistant, retriever


@pytest.mark.parametrize("endpoint,args,message", [
    ("search", ("pay", 3.7), "k must be an integer from 1 to 100, got 3.7"),
    ("search", ("pay", None), "k must be an integer from 1 to 100, got None"),
    ("search", ("pay", "five"), "k must be an integer from 1 to 100, got 'five'"),
    ("search", (42,), "query must be text, got int 42"),
    ("search", (["pay"],), "query must be text, got list ['pay']"),
    ("chat", (42,), "question must be text, got int 42"),
    ("ask", ({"question": "pay"},), "question must be text, got dict"),
])
def test_wrong_typed_arguments_are_refused_by_name(hash_index, endpoint, args, message):
    api = PageApi(FakeAssistant(retriever(hash_index)))
    with pytest.raises(gr.Error) as info:
        clear_errors(getattr(api, endpoint))(*args)
    assert info.value.message.startswith(message)


def test_integers_in_any_json_spelling_still_search(hash_index):
    api = PageApi(FakeAssistant(retriever(hash_index)))
    assert len(api.search("pay", k="2")) <= 2 and len(api.search("pay", k=2.0)) <= 2
    assert api.chat(None) == "Please ask a question."


def _app() -> TestClient:
    app = FastAPI(middleware=[Middleware(RequestGuard)])

    def events():
        yield "event: error\ndata: \"404: Not Found\"\n\n"
        raise HTTPException(404)

    def half_a_file():
        yield "the first half"
        raise OSError("disk gone")

    def nothing():
        raise HTTPException(404)
        yield ""  # a generator

    routes = {
        "/gradio_api/call/nosuch": lambda: (_ for _ in ()).throw(
            FnIndexInferError("Could not infer function index for API name: nosuch")),
        "/gradio_api/queue/join": lambda: {}[9999],
        "/boom": lambda: 1 / 0,
        "/events": lambda: StreamingResponse(events(), media_type="text/event-stream"),
        "/file": lambda: StreamingResponse(half_a_file(), media_type="text/plain"),
        "/gradio_api/call/search/no-such-event": lambda: StreamingResponse(nothing()),
        "/fine": lambda: {"ok": True},
    }
    for path, endpoint in routes.items():
        app.add_api_route(path, endpoint)
    return TestClient(app)


def test_failures_before_the_body_become_json_errors_that_name_the_problem():
    client = _app()
    reply = client.get("/gradio_api/call/nosuch")
    assert reply.status_code == 404
    assert "this page's API endpoints are /chat, /search and /ask" in reply.json()["detail"]
    reply = client.get("/gradio_api/queue/join")
    assert reply.status_code == 404 and "id 9999" in reply.json()["detail"]
    reply = client.get("/gradio_api/call/search/no-such-event")  # start sent, then the 404
    assert reply.status_code == 404 and "event id is unknown" in reply.json()["detail"]
    reply = client.get("/boom")
    assert reply.status_code == 500 and reply.json()["detail"].startswith("internal error")
    assert client.get("/fine").json() == {"ok": True}


def test_a_failed_event_stream_ends_after_its_error_event_and_a_file_is_cut_off():
    client = _app()
    reply = client.get("/events")
    assert reply.status_code == 200 and reply.text == 'event: error\ndata: "404: Not Found"\n\n'
    with pytest.raises(OSError, match="disk gone"):  # never passed off as a whole file
        client.get("/file")


def test_refusal_reads_through_starlettes_response_already_started():
    try:
        try:
            raise HTTPException(404)
        except HTTPException as exc:
            raise RuntimeError("Caught handled exception, but response already started.") \
                from exc
    except RuntimeError as exc:
        assert refusal(exc, "/gradio_api/call/chat/x")[0] == 404


def test_the_page_is_launched_with_the_guard_and_no_queue_bypass(hash_index):
    options = launch_options(hash_index)
    assert options["show_error"] is True
    assert [m.cls for m in options["app_kwargs"]["middleware"]] == [RequestGuard]
    demo = build_app(FakeAssistant(retriever(hash_index)), hash_index)
    assert demo.api_open is False
