"""The shipped fake chat backend: scripted replies, recorded requests, ``fake`` specs."""

from __future__ import annotations

import pytest

from assistant.llm import BackendSpec, BackendUnavailable, ChatBackend, get_backend, parse_spec
from assistant.llm.fake import FakeBackend, FakeRequest
from assistant.settings import Settings

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


def test_replies_in_order_then_the_default_in_pieces() -> None:
    backend = FakeBackend("first reply", "second", default="again", piece=4)
    assert isinstance(backend, ChatBackend)
    assert list(backend.stream(MESSAGES)) == ["firs", "t re", "ply"]
    assert "".join(backend.stream(MESSAGES)) == "second"
    assert "".join(backend.stream(MESSAGES)) == "again"
    backend.enqueue("queued")
    assert "".join(backend.stream(MESSAGES)) == "queued"
    assert "".join(FakeBackend().stream(MESSAGES)) == ""


def test_records_every_request_as_asked() -> None:
    messages = [dict(m) for m in MESSAGES]
    backend = FakeBackend("ok")
    list(backend.stream(messages, max_tokens=9, temperature=0.0, stop=["\n\n"]))
    list(backend.stream(messages))
    assert backend.requests == [FakeRequest(tuple(MESSAGES), 9, 0.0, ("\n\n",)),
                                FakeRequest(tuple(MESSAGES), 512, 0.1, None)]
    messages[0]["content"] = "changed later"  # the record is a copy
    assert backend.requests[0].messages[0]["content"] == "Be brief."


def test_error_is_raised_after_the_reply() -> None:
    failing = FakeBackend(error=BackendUnavailable("The server is down."))
    with pytest.raises(BackendUnavailable, match="down"):
        list(failing.stream(MESSAGES))
    assert len(failing.requests) == 1
    cut = FakeBackend("partial text", error=BackendUnavailable("cut"), piece=100)
    received = []
    with pytest.raises(BackendUnavailable):
        for delta in cut.stream(MESSAGES):
            received.append(delta)
    assert received == ["partial text"]
    with pytest.raises(ValueError, match="piece"):
        FakeBackend(piece=0)


@pytest.mark.parametrize(("spec", "expected"), [
    ("fake", BackendSpec("fake")),
    (" FAKE ", BackendSpec("fake")),
    ("fake:", BackendSpec("fake")),
    ("fake: Napo will ballot [1]. ", BackendSpec("fake", model="Napo will ballot [1].")),
    ("fake:a:b@http://x", BackendSpec("fake", model="a:b@http://x")),
])
def test_parse_spec_fake(spec: str, expected: BackendSpec) -> None:
    assert parse_spec(spec, environ={}) == expected


def test_get_backend_fake_replies_with_the_spec_text() -> None:
    backend = get_backend("fake:Napo will ballot [1].", Settings())
    assert isinstance(backend, FakeBackend) and backend.name == "fake"
    assert "".join(backend.stream(MESSAGES)) == "Napo will ballot [1]."
    assert "".join(backend.stream(MESSAGES)) == "Napo will ballot [1]."
    assert "".join(get_backend("fake", Settings()).stream(MESSAGES)) == ""
