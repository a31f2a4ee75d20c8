"""OpenAI-compatible backend against a real ``llama_cpp.server`` running SmolLM2 on 127.0.0.1."""

from __future__ import annotations

import pytest

from assistant.llm import (
    BackendTimeout,
    BackendUnavailable,
    OpenAICompatBackend,
    StreamInterrupted,
)
from tests.llm.llm_stubs import LlamaServer, free_port

pytestmark = pytest.mark.server

STORY = [
    {"role": "system", "content": "You are a storyteller who writes long, detailed stories."},
    {"role": "user", "content": "Write a long story about a lighthouse keeper and a storm."},
]


def backend_for(server: LlamaServer, **kwargs: object) -> OpenAICompatBackend:
    options: dict = {"request_timeout": 60.0, "connect_timeout": 5.0}
    options.update(kwargs)
    return OpenAICompatBackend("smollm2", server.base_url, **options)


def test_streams_several_deltas(llama_server: LlamaServer) -> None:
    messages = [{"role": "user", "content": "Name three colours."}]
    deltas = list(backend_for(llama_server).stream(messages, max_tokens=40, temperature=0.0))
    assert len(deltas) >= 3
    assert all(isinstance(d, str) and d for d in deltas)
    assert "".join(deltas).strip()


def test_tiny_read_timeout_is_backend_timeout(llama_server: LlamaServer) -> None:
    backend = backend_for(llama_server, request_timeout=0.001)
    with pytest.raises(BackendTimeout) as info:
        list(backend.stream(STORY, max_tokens=32))
    assert llama_server.base_url in str(info.value)
    assert "0.001 s" in str(info.value)


def test_refused_connection_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAICompatBackend("smollm2", url, request_timeout=5.0, connect_timeout=2.0)
    with pytest.raises(BackendUnavailable, match="connection refused") as info:
        list(backend.stream(STORY))
    assert url in str(info.value)


def test_server_killed_mid_stream_keeps_partial(dedicated_llama_server: LlamaServer) -> None:
    received: list[str] = []
    stream = backend_for(dedicated_llama_server).stream(STORY, max_tokens=1000, temperature=0.7)
    with pytest.raises(StreamInterrupted) as info:
        for delta in stream:
            received.append(delta)
            if len(received) == 3:
                dedicated_llama_server.proc.kill()
                dedicated_llama_server.proc.wait()
    assert info.value.partial
    assert info.value.partial == "".join(received)
    assert dedicated_llama_server.base_url in str(info.value)
