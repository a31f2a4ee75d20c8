"""OpenAI-compatible backend against a scripted stdlib stub server on 127.0.0.1 (fast)."""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import pytest

from assistant.llm import (
    BackendError,
    BackendTimeout,
    BackendUnavailable,
    OpenAICompatBackend,
    StreamInterrupted,
)
from assistant.llm.openai_compat import iter_sse_data, retry_delay
from assistant.records import TokenUsage
from tests.llm.llm_stubs import Reply, StubServer, free_port, sse_body

MESSAGES = [{"role": "user", "content": "hi"}]


def backend_for(url: str, **kwargs: object) -> OpenAICompatBackend:
    options: dict = {"request_timeout": 5.0, "connect_timeout": 2.0, "backoff": 0.05}
    options.update(kwargs)
    return OpenAICompatBackend("test-model", url, **options)


# --- SSE parsing ----------------------------------------------------------------------


def test_sse_basic_events_and_done() -> None:
    lines = ['data: {"a": 1}', "", "data: [DONE]", ""]
    assert list(iter_sse_data(lines)) == ['{"a": 1}', "[DONE]"]


def test_sse_multiline_comments_crlf_and_other_fields() -> None:
    lines = [": keep-alive", "", "event: message\r\n", "id: 7", "data: one\r\n", "data:two", "",
             "retry: 100", ""]  # fmt: skip
    assert list(iter_sse_data(lines)) == ["one\ntwo"]


def test_sse_drops_unterminated_event_but_keeps_done() -> None:
    assert list(iter_sse_data(['data: {"trunc'])) == []
    assert list(iter_sse_data(["data: x", "", "data: [DONE]"])) == ["x", "[DONE]"]


# --- retry delays ---------------------------------------------------------------------


def test_retry_delay_honours_and_caps_retry_after() -> None:
    assert retry_delay("2", 1) == 2.0
    assert retry_delay("1.5", 3) == 1.5
    assert retry_delay("3600", 1, cap=30) == 30.0
    assert retry_delay("-4", 1) == 0.0
    soon = formatdate(time.time() + 10, usegmt=True)
    assert 7 <= retry_delay(soon, 1) <= 10.5


def test_retry_delay_backoff_without_header() -> None:
    assert [retry_delay(None, n, backoff=0.5) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert retry_delay("garbage", 2, backoff=0.5) == 1.0
    assert retry_delay(None, 20, backoff=0.5, cap=30) == 30.0


# --- streaming against the stub -------------------------------------------------------


def test_stream_yields_deltas_and_sends_request(stub: StubServer) -> None:
    stub.replies = [Reply(chunks=sse_body("Hel", "lo", " [1]"))]
    backend = backend_for(stub.base_url, api_key="sk-abc")
    out = list(backend.stream(MESSAGES, max_tokens=9, temperature=0.0, stop=["\n\n"]))
    assert out == ["Hel", "lo", " [1]"]
    request = stub.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-abc"
    assert request.body == {"model": "test-model", "messages": MESSAGES, "stream": True,
                            "max_tokens": 9, "temperature": 0.0, "stop": ["\n\n"],
                            "stream_options": {"include_usage": True}}  # fmt: skip


def _returned(stream):
    """The text a stream yields and the value it returns."""
    parts = []
    while True:
        try:
            parts.append(next(stream))
        except StopIteration as done:
            return parts, done.value


def test_stream_returns_the_usage_chunks_counts(stub: StubServer) -> None:
    usage = {"prompt_tokens": 41, "completion_tokens": 3, "total_tokens": 44}
    body = sse_body("Hel", "lo", done=False)
    body.append(f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n".encode())
    stub.replies = [Reply(chunks=[*body, b"data: [DONE]\n\n"])]
    parts, counted = _returned(backend_for(stub.base_url).stream(MESSAGES))
    assert parts == ["Hel", "lo"]
    assert counted == TokenUsage(41, 3)


def test_stream_without_usage_returns_none_and_bad_counts_are_ignored(
        stub: StubServer) -> None:
    stub.replies = [Reply(chunks=sse_body("Hi"))]
    assert _returned(backend_for(stub.base_url).stream(MESSAGES)) == (["Hi"], None)
    body = sse_body("Hi", done=False)
    bad = {"choices": [], "usage": {"prompt_tokens": -1, "completion_tokens": "3"}}
    body.append(f"data: {json.dumps(bad)}\n\n".encode())
    stub.replies = [Reply(chunks=[*body, b"data: [DONE]\n\n"])]
    assert _returned(backend_for(stub.base_url).stream(MESSAGES)) == (["Hi"], None)


def test_json_completion_usage_is_returned(stub: StubServer) -> None:
    completion = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi."}}],
                  "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}}
    stub.replies = [Reply(headers={"Content-Type": "application/json"},
                          chunks=[json.dumps(completion).encode()])]
    assert _returned(backend_for(stub.base_url).stream(MESSAGES)) == (["Hi."], TokenUsage(7, 2))


def test_no_authorization_header_without_key(stub: StubServer) -> None:
    stub.replies = [Reply(chunks=sse_body("ok"))]
    assert list(backend_for(stub.base_url).stream(MESSAGES)) == ["ok"]
    assert "Authorization" not in stub.requests[0].headers
    assert "stop" not in stub.requests[0].body


def test_retries_429_honouring_retry_after(stub: StubServer) -> None:
    stub.replies = [
        Reply(429, {"Retry-After": "1"}, [b'{"error": {"message": "slow down"}}']),
        Reply(chunks=sse_body("after", " wait")),
    ]
    start = time.monotonic()
    out = "".join(backend_for(stub.base_url, backoff=0.0).stream(MESSAGES))
    elapsed = time.monotonic() - start
    assert out == "after wait"
    assert len(stub.requests) == 2
    assert 0.9 <= elapsed < 5


def test_503_forever_gives_up_after_bounded_attempts(stub: StubServer) -> None:
    stub.replies = [Reply(503, {}, [b'{"error": "loading model"}'])]
    with pytest.raises(BackendUnavailable, match=r"HTTP 503, 3 attempts") as info:
        list(backend_for(stub.base_url, max_attempts=3).stream(MESSAGES))
    assert len(stub.requests) == 3
    assert stub.base_url in str(info.value)
    assert "loading model" in str(info.value)


def test_401_says_key_rejected_without_retry(stub: StubServer) -> None:
    stub.replies = [Reply(401, {}, [b'{"error": {"message": "Incorrect API key"}}'])]
    backend = backend_for(stub.base_url, api_key="sk-bad", api_key_env="OPENAI_API_KEY")
    with pytest.raises(BackendUnavailable) as info:
        list(backend.stream(MESSAGES))
    message = str(info.value)
    assert "rejected the API key (HTTP 401)" in message
    assert "OPENAI_API_KEY" in message
    assert "Incorrect API key" in message
    assert len(stub.requests) == 1


def test_404_is_model_not_found(stub: StubServer) -> None:
    stub.replies = [Reply(404, {}, [b'{"error": {"message": "model not found"}}'])]
    with pytest.raises(BackendUnavailable, match=r"Model 'test-model' not found .*HTTP 404"):
        list(backend_for(stub.base_url).stream(MESSAGES))


def test_other_4xx_is_plain_backend_error(stub: StubServer) -> None:
    stub.replies = [Reply(400, {}, [b'{"error": {"message": "context too long"}}'])]
    with pytest.raises(BackendError, match=r"HTTP 400.*context too long") as info:
        list(backend_for(stub.base_url).stream(MESSAGES))
    assert not isinstance(info.value, BackendUnavailable)


def test_stream_closed_before_done_is_interrupted_and_not_retried(stub: StubServer) -> None:
    stub.replies = [Reply(chunks=sse_body("par", "tial", done=False)),
                    Reply(chunks=sse_body("retried"))]  # fmt: skip
    received: list[str] = []
    with pytest.raises(StreamInterrupted, match="ended before") as info:
        for delta in backend_for(stub.base_url).stream(MESSAGES):
            received.append(delta)
    assert info.value.partial == "partial" == "".join(received)
    assert len(stub.requests) == 1


def test_connection_dropped_before_any_text_is_retried(stub: StubServer) -> None:
    stub.replies = [Reply(drop=True), Reply(chunks=sse_body("second", " try"))]
    assert "".join(backend_for(stub.base_url).stream(MESSAGES)) == "second try"
    assert len(stub.requests) == 2


def test_backend_reuses_its_client(stub: StubServer) -> None:
    stub.replies = [Reply(chunks=sse_body("x"))]
    backend = backend_for(stub.base_url)
    list(backend.stream(MESSAGES))
    client = backend._client
    list(backend.stream(MESSAGES))
    assert client is not None and backend._client is client
    backend.close()
    assert backend._client is None


def test_error_event_mid_stream_is_interrupted(stub: StubServer) -> None:
    chunks = [*sse_body("so", done=False), b'data: {"error": {"message": "OOM"}}\n\n']
    stub.replies = [Reply(chunks=chunks)]
    with pytest.raises(StreamInterrupted, match="OOM") as info:
        list(backend_for(stub.base_url).stream(MESSAGES))
    assert info.value.partial == "so"


def test_read_timeout_names_url_and_timeout(stub: StubServer) -> None:
    stub.replies = [Reply(chunks=sse_body("late"), delay=2.0)]
    with pytest.raises(BackendTimeout) as info:
        list(backend_for(stub.base_url, request_timeout=0.2).stream(MESSAGES))
    assert stub.base_url in str(info.value)
    assert "0.2 s" in str(info.value)


def test_connection_refused_names_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendUnavailable) as info:
        list(backend_for(url).stream(MESSAGES))
    assert str(info.value) == (
        f"Could not connect to {url} (connection refused). Is the server running? "
        "Start it or pick another backend."
    )
