"""parse_spec, get_backend and import hygiene (fast, no model)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.llm import (
    DEFAULT_OPENAI_BASE_URL,
    BackendSpec,
    BackendUnavailable,
    LlamaCppBackend,
    LlamaCppRegistry,
    OpenAICompatBackend,
    get_backend,
    parse_spec,
)
from assistant.settings import Settings


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("extractive", BackendSpec("extractive")),
        ("  Extractive ", BackendSpec("extractive")),
        ("llamacpp", BackendSpec("llamacpp")),
        ("llamacpp:/models/m.gguf", BackendSpec("llamacpp", model="/models/m.gguf")),
        (
            "openai:llama3@http://127.0.0.1:11434/v1",
            BackendSpec("openai", model="llama3", base_url="http://127.0.0.1:11434/v1"),
        ),
        (
            "openai:llama3.1:8b@https://example.test/v1/",
            BackendSpec("openai", model="llama3.1:8b", base_url="https://example.test/v1"),
        ),
        ("openai:gpt-4o-mini", BackendSpec("openai", "gpt-4o-mini", DEFAULT_OPENAI_BASE_URL)),
    ],
)
def test_parse_spec_valid(spec: str, expected: BackendSpec) -> None:
    assert parse_spec(spec, environ={}) == expected


def test_parse_spec_openai_base_url_from_env() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1/"}
    assert parse_spec("openai:m", environ=env).base_url == "http://127.0.0.1:8080/v1"


def test_parse_spec_expands_home() -> None:
    assert parse_spec("llamacpp:~/m.gguf").model == str(Path("~/m.gguf").expanduser())


@pytest.mark.parametrize(
    "spec",
    ["", "  ", "gpt4", "openai", "openai:", "openai:@http://x/v1", "openai:m@ftp://x",
     "llamacpp:", "extractive:foo", "ollama:llama3"],
)  # fmt: skip
def test_parse_spec_invalid_lists_forms(spec: str) -> None:
    with pytest.raises(ValueError, match="valid backend specs") as info:
        parse_spec(spec, environ={})
    assert "openai:MODEL" in str(info.value)
    assert "llamacpp:/path/to/model.gguf" in str(info.value)


def test_get_backend_extractive_is_not_a_chat_model() -> None:
    with pytest.raises(ValueError, match="extractive is not a chat model"):
        get_backend("extractive", Settings())


def test_get_backend_openai_uses_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-test")
    settings = Settings(openai_api_key_env="MY_KEY", request_timeout=7.0, connect_timeout=2.0)
    backend = get_backend("openai:llama3@http://127.0.0.1:11434/v1", settings)
    assert isinstance(backend, OpenAICompatBackend)
    assert backend.name == "openai:llama3@http://127.0.0.1:11434/v1"
    assert backend.context_length == 8192
    assert (backend.request_timeout, backend.connect_timeout) == (7.0, 2.0)
    assert backend._api_key == "sk-test"


def test_get_backend_missing_gguf(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match=r"nope\.gguf not found"):
        get_backend(f"llamacpp:{tmp_path / 'nope.gguf'}", Settings(), registry=LlamaCppRegistry())


def test_get_backend_shares_llamacpp_instances(tmp_path: Path) -> None:
    model = tmp_path / "fake.gguf"
    model.write_bytes(b"GGUF")  # never loaded: construction only checks the file exists
    registry = LlamaCppRegistry()
    first = get_backend(f"llamacpp:{model}", Settings(), registry=registry)
    second = get_backend(f"llamacpp:{tmp_path}/../{tmp_path.name}/fake.gguf", registry=registry)
    assert isinstance(first, LlamaCppBackend)
    assert first is second
    assert first.name == "llamacpp:fake.gguf"
    assert first.context_length == 4096
    assert not first.loaded
    assert len(registry) == 1


def test_load_of_invalid_gguf_is_unavailable(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    model = tmp_path / "broken.gguf"
    model.write_bytes(b"not a gguf file")
    backend = LlamaCppBackend(model, n_ctx=256)
    with pytest.raises(BackendUnavailable, match=r"Could not load .*broken\.gguf"):
        list(backend.stream([{"role": "user", "content": "hi"}]))


def test_import_does_not_load_clients() -> None:
    code = (
        "import sys, assistant.llm, assistant.llm.models\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'httpx', 'llama_cpp', 'openai', 'torch'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
