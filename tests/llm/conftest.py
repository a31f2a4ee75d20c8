"""Fixtures for the chat-backend tests (helpers live in ``llm_stubs``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llm.llm_stubs import LlamaServer, StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    try:
        yield server
    finally:
        server.close()


def _smollm2() -> Path:
    from assistant.llm.models import smollm2_path

    return smollm2_path()


@pytest.fixture(scope="session")
def smollm2() -> Path:
    pytest.importorskip("llama_cpp")
    return _smollm2()


@pytest.fixture(scope="session")
def llama_server(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    pytest.importorskip("llama_cpp.server")
    server = LlamaServer(smollm2, log_path=tmp_path_factory.mktemp("llama") / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def dedicated_llama_server(smollm2: Path, tmp_path: Path) -> Iterator[LlamaServer]:
    """A server of the test's own, free to be killed."""
    pytest.importorskip("llama_cpp.server")
    server = LlamaServer(smollm2, log_path=tmp_path / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
