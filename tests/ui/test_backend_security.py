"""The page's backend controls are a visitor's input: the server's API key never goes to a
URL a visitor typed, and a typed model file is refused without saying whether it exists.
A real loopback listener stands in for the visitor's "model server"."""

from __future__ import annotations

import pytest

from assistant.settings import Settings
from assistant.ui.chat import ChatHandlers
from tests.llm.llm_stubs import Reply, StubServer, sse_body
from tests.serve.server_helpers import small_assistant

SECRET = "sk-test-DO-NOT-LEAK-1234"
QUESTION = "Will Napo members be balloted over the pay freeze?"


@pytest.fixture
def listener():
    stub = StubServer()
    stub.replies = [Reply(chunks=sse_body("Napo members will be balloted [1]."))]
    yield stub
    stub.close()


@pytest.fixture
def assistant(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return small_assistant(tmp_path)


def _ask(handlers: ChatHandlers, **controls) -> str:
    values = {"k": 3, "since": "", "until": "", "kind": "Both", "author": "",
              "choice": "Extractive", "model": "", "url": "", "gguf": ""} | controls
    steps = list(handlers.respond(QUESTION, [{"role": "user", "content": QUESTION}], [], [],
                                  0, *values.values()))
    return steps[-1][0][-1]["content"]


def _settings(**overrides) -> Settings:
    return Settings.from_env({}, **overrides)


def test_a_typed_model_server_is_refused_and_receives_nothing(assistant, listener):
    handlers = ChatHandlers(assistant, _settings())
    message = _ask(handlers, choice="OpenAI-compatible", model="m", url=listener.base_url)
    assert "not used unless the operator allows it" in message
    assert listener.requests == []  # before the policy, this request carried the key


def test_an_allowed_typed_server_is_used_without_the_key(assistant, listener):
    handlers = ChatHandlers(assistant, _settings(allow_user_backends=True))
    _ask(handlers, choice="OpenAI-compatible", model="m", url=listener.base_url)
    assert len(listener.requests) == 1
    headers = {k.lower(): v for k, v in listener.requests[0].headers.items()}
    assert "authorization" not in headers
    assert SECRET not in repr(listener.requests[0])


def test_the_operators_own_server_still_gets_the_key(assistant, listener):
    spec = f"openai:m@{listener.base_url}"
    handlers = ChatHandlers(assistant, _settings(backends=spec))
    _ask(handlers, choice="OpenAI-compatible", model="m", url=listener.base_url)
    headers = {k.lower(): v for k, v in listener.requests[0].headers.items()}
    assert headers["authorization"] == f"Bearer {SECRET}"


def test_a_typed_model_file_is_refused_the_same_whether_it_exists(assistant, tmp_path):
    handlers = ChatHandlers(assistant, _settings())
    real = tmp_path / "real.gguf"
    real.write_bytes(b"GGUF")
    there = _ask(handlers, choice="Local model", gguf=str(real))
    missing = _ask(handlers, choice="Local model", gguf=str(tmp_path / "missing.gguf"))
    assert "not used unless the operator allows it" in there
    assert there == missing


def test_the_page_offers_only_what_the_server_enables():
    from assistant.ui.backends import page_choices

    assert page_choices(("extractive",), False) == ("Extractive",)
    assert page_choices(("extractive", "llamacpp"), False) == ("Extractive", "Local model")
    assert page_choices(("extractive",), True) == ("Extractive", "Local model",
                                                   "OpenAI-compatible")
