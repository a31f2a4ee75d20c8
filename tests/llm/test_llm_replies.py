"""Replies that are no event stream, from a real loopback server sending exact bytes: each
error names what arrived (an HTML page, an empty body, garbage) instead of "connection
closed by the server"; the timeout says how long and which setting to raise."""

from __future__ import annotations

import json

import pytest

from assistant.llm import BackendError, BackendTimeout, BackendUnavailable, OpenAICompatBackend
from assistant.llm.openai_compat import HttpPolicy
from assistant.llm.replies import body_kind, html_page, is_sse_line
from assistant.settings import Settings
from tests.llm.llm_stubs import Reply, StubServer, sse_body
from tests.llm.raw_server import RawServer, raw_reply

MESSAGES = [{"role": "user", "content": "hi"}]

LOGIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in &middot; Corp SSO</title></head>"
              b"<body><form action=/login><input name=user></form></body></html>\n")
PROXY_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center>"
             b"<h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
             b"</html>\r\n")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def stream(url: str, **policy: object) -> list[str]:
    options: dict = {"request_timeout": 5.0, "connect_timeout": 2.0, "backoff": 0.01}
    options.update(policy)
    return list(OpenAICompatBackend("test-model", url, **options).stream(MESSAGES))


def error_of(response: bytes, **policy: object) -> tuple[BackendError, int]:
    """The error streaming against a server that always sends ``response``, and how many
    requests it got."""
    with RawServer(response) as server:
        with pytest.raises(BackendError) as info:
            stream(server.base_url, **policy)
        return info.value, server.requests


def test_login_page_with_status_200_is_named_an_html_page():
    error, requests = error_of(raw_reply(200, "text/html; charset=utf-8", LOGIN_PAGE))
    message = str(error)
    assert isinstance(error, BackendUnavailable)
    assert "answered with an HTML page, not JSON (status 200, text/html, page title " \
           "'Sign in · Corp SSO')" in message
    assert "/v1" in message and "connection closed" not in message
    assert requests == 1  # a page is no transient failure: not retried


def test_proxy_502_page_is_named_after_its_retries():
    error, requests = error_of(raw_reply(502, "text/html", PROXY_502, reason="Bad Gateway"),
                               max_attempts=2)
    message = str(error)
    assert ("answered with an HTML page, not JSON (status 502, text/html, page title "
            "'502 Bad Gateway', 2 attempts)") in message
    assert "<html>" not in message and "try again later" in message
    assert requests == 2


def test_html_page_sent_as_an_event_stream_is_still_a_page():
    # content type and length both lie: the body decides, on its first line
    error, _ = error_of(raw_reply(200, "text/event-stream", LOGIN_PAGE, length=False))
    assert "HTML page, not JSON (status 200, text/event-stream" in str(error)


def test_empty_body_garbage_and_plain_text_are_named():
    empty, _ = error_of(raw_reply(200, "text/event-stream", b""))
    assert "answered with an empty body (status 200, text/event-stream)" in str(empty)
    garbage, _ = error_of(raw_reply(200, "application/octet-stream", PNG))
    assert "neither JSON nor an event stream" in str(garbage)
    assert "characters of binary data (status 200, application/octet-stream)" in str(garbage)
    text, _ = error_of(raw_reply(200, None, b"Hello from the intranet\n"))
    assert "'Hello from the intranet' (status 200, no content type)" in str(text)
    other, _ = error_of(raw_reply(200, "application/json", b'{"object": "list", "data": []}'))
    assert "JSON that is not a chat completion" in str(other)


def test_json_error_with_status_200_says_what_the_server_said():
    body = json.dumps({"error": {"message": "model is loading"}}).encode()
    error, _ = error_of(raw_reply(200, "application/json", body))
    assert "reported an error: model is loading" in str(error)


def test_binary_error_body_is_described_not_quoted():
    error, _ = error_of(raw_reply(400, "application/octet-stream", PNG), max_attempts=1)
    assert "HTTP 400" in str(error) and "characters of binary data" in str(error)
    assert "\x00" not in str(error)


def test_a_server_ignoring_stream_still_answers():
    body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant",
                                                            "content": "Whole reply."}}]})
    with RawServer(raw_reply(200, "application/json", body.encode())) as server:
        assert stream(server.base_url) == ["Whole reply."]


def test_an_event_stream_under_the_wrong_content_type_still_streams():
    body = b"".join(sse_body("Str", "eamed"))
    with RawServer(raw_reply(200, "text/plain", body, length=False)) as server:
        assert stream(server.base_url) == ["Str", "eamed"]


def test_read_timeout_is_30_s_by_default_and_says_what_to_raise():
    assert Settings().request_timeout == HttpPolicy().request_timeout == 30.0
    assert Settings.from_env({}).request_timeout == 30.0
    stub = StubServer()
    try:
        stub.replies = [Reply(chunks=sse_body("late"), delay=1.0)]
        with pytest.raises(BackendTimeout) as info:
            stream(stub.base_url, request_timeout=0.2)
    finally:
        stub.close()
    assert "sent nothing for 0.2 s" in str(info.value)
    assert "raise ASSISTANT_REQUEST_TIMEOUT" in str(info.value)


@pytest.mark.parametrize("line, sse", [("data: {}", True), (": keep-alive", True),
                                       ("event: message", True), ("data", True),
                                       ("<!DOCTYPE html>", False), ('{"a": 1}', False),
                                       ("database down", False)])
def test_sse_lines_are_told_from_bodies(line, sse):
    assert is_sse_line(line) is sse


def test_body_kinds():
    assert html_page("text/html", "<p>x</p>") == "no page title"
    assert html_page("application/json", "  <!doctype html><title> A \n B </title>") == \
        "page title 'A B'"
    assert html_page("text/plain", "hello") is None
    assert body_kind("", "   ") == "an empty body"
